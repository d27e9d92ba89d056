import Dispatch
import Numerics
import Random
import Threads

/// Attention forward + backward of a batch (or, `inference`, the forward
/// alone without the softmax matrix), fused kernel against per-head GEMMs,
/// at several sequence lengths: the measurement behind the automatic kernel
/// choice (`Attention.fusedApplies`).
public enum AttentionBench {
    public struct Row: Sendable {
        public let tokens: Int
        /// Seconds per forward + backward, and GFLOP/s (QKᵀ, PV and their gradients: 12·B·h·T²·hd; the
        /// forward alone: 4·B·h·T²·hd).
        public let fusedSeconds: Double, gemmSeconds: Double
        public let flops: Double
        public let gemmCalls: Int
        public var speedup: Double { gemmSeconds / fusedSeconds }
    }

    public static func run(batch b: Int, width c: Int, heads h: Int, tokens: [Int], repeats: Int,
                           inference: Bool = false) -> [Row] {
        tokens.map { t in
            var rng = SeededGenerator(seed: UInt64(t))
            let qkv = FloatBuffer(b * t * 3 * c), dOut = FloatBuffer(b * t * c)
            for i in 0..<(b * t * 3 * c) { qkv.pointer[i] = Float(rng.normal()) }
            for i in 0..<(b * t * c) { dOut.pointer[i] = Float(rng.normal()) }
            let probs = FloatBuffer(b * h * t * t), out = FloatBuffer(b * t * c), dqkv = FloatBuffer(b * t * 3 * c)
            let scratch = FloatBuffer()
            func pass(_ kernel: Attention.Kernel) {
                Attention.forward(qkv: qkv.pointer, batch: b, tokens: t, width: c, heads: h,
                                  probs: inference ? nil : probs.pointer, into: out.pointer, scratch: scratch, kernel: kernel)
                if inference { return }
                Attention.backward(dOut: dOut.pointer, qkv: qkv.pointer, probs: probs.pointer, batch: b, tokens: t,
                                   width: c, heads: h, dqkv: dqkv.pointer, scratch: scratch, kernel: kernel)
            }
            func time(_ kernel: Attention.Kernel) -> Double {
                pass(kernel)
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<repeats { pass(kernel) }
                return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(repeats)
            }
            // Alternated, medians of three: this VM drifts.
            var fused: [Double] = [], gemm: [Double] = []
            for _ in 0..<3 {
                fused.append(time(.fused))
                gemm.append(time(.gemm))
            }
            let calls = GEMM.record { pass(.gemm) }.count
            return Row(tokens: t, fusedSeconds: median(fused), gemmSeconds: median(gemm),
                       flops: (inference ? 4 : 12) * Double(b * h * t * t * (c / h)), gemmCalls: calls)
        }
    }

    public static func describe(_ rows: [Row], batch b: Int, width c: Int, heads h: Int, inference: Bool = false) -> [String] {
        ["attention \(inference ? "forward without the softmax matrix" : "forward + backward"), batch \(b), width \(c), \(h) heads (head width \(c / h)); threads \(Parallel.threadCount)"]
            + rows.map { r in
                String(format: "  T %4d: fused %8.2f ms (%6.1f GFLOP/s), per-head GEMMs %8.2f ms (%6.1f GFLOP/s, %d calls): fused %.2fx",
                       r.tokens, r.fusedSeconds * 1000, r.flops / r.fusedSeconds / 1e9, r.gemmSeconds * 1000,
                       r.flops / r.gemmSeconds / 1e9, r.gemmCalls, r.speedup)
            }
    }
}
