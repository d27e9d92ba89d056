import CKernels
import Foundation
import Random
import Threads

/// What this CPU's bf16 GEMM computes, bit for bit: a fingerprint of its
/// outputs on fixed operands and shapes like the step's, and how its sums
/// compare with two models of the AVX512_BF16 dot-product instruction
/// (VDPBF16PS). Two machines with the same fingerprint multiply alike, so a
/// bf16 run reproduces between them as a float32 run does; the registry's
/// bf16 rows did not reproduce from a Zen 4 on a Zen 5 (docs/performance.md),
/// although oneDNN 2.6.3 blocks K by shape alone. `NumericsBench --bf16-arithmetic`.
public enum BFloat16Arithmetic {
    public struct Report: Sendable {
        public let route: BFloat16GEMM.Route
        /// FNV-1a over the output bits of every shape, bf16 and (for contrast) float32.
        public let bfloat16Fingerprint: UInt64, float32Fingerprint: UInt64
        /// Outputs at K ≤ 512 (one K block in oneDNN 2.6.3), and how many equal each model:
        /// Intel's SDM order (per pair, the odd element's product added and rounded, then the even one's),
        /// and one rounding per pair (both products and the sum exact, then rounded).
        public let outputs: Int, sdmOrder: Int, oneRoundingPerPair: Int
    }

    /// (m, n, k), non-transposed: K ≤ 512 for the models, then K of the step's weight gradients.
    static let modelShapes = [(96, 64, 64), (96, 64, 192), (96, 64, 384), (96, 64, 512)]
    static let fingerprintShapes = modelShapes + [(96, 64, 768), (64, 96, 2304)]

    public static func check(route: BFloat16GEMM.Route = BFloat16GEMM.route) -> Report {
        var outputs = 0, sdm = 0, fused = 0
        for (index, (m, n, k)) in modelShapes.enumerated() {
            let (a, b) = operands(index, m: m, n: n, k: k)
            let c = product(.bfloat16, a, b, m: m, n: n, k: k, route: route)
            for i in 0..<m {
                for j in 0..<n {
                    var inOrder: Float = 0, perPair: Float = 0
                    for p in stride(from: 0, to: k, by: 2) {
                        let even = a[i * k + p] * b[p * n + j]  // exact: 8-bit significands
                        let odd = p + 1 < k ? a[i * k + p + 1] * b[(p + 1) * n + j] : 0
                        inOrder = (inOrder + odd) + even
                        perPair = Float(Double(perPair) + Double(odd) + Double(even))
                    }
                    outputs += 1
                    if inOrder.bitPattern == c[i * n + j].bitPattern { sdm += 1 }
                    if perPair.bitPattern == c[i * n + j].bitPattern { fused += 1 }
                }
            }
        }
        return Report(route: route, bfloat16Fingerprint: fingerprintValue(.bfloat16, route: route),
                      float32Fingerprint: fingerprintValue(.float32, route: route),
                      outputs: outputs, sdmOrder: sdm, oneRoundingPerPair: fused)
    }

    /// What a run of `precision` multiplies with on this machine, as 16 hex
    /// digits: runs whose fingerprints are equal got the same GEMM bits on
    /// these shapes (Pretrain records it in its manifest, the registry in
    /// `gemm_fingerprint`). Computed in milliseconds.
    public static func fingerprint(_ precision: MatmulPrecision, route: BFloat16GEMM.Route = BFloat16GEMM.route) -> String {
        String(format: "%016llx", fingerprintValue(precision, route: route))
    }

    static func fingerprintValue(_ precision: MatmulPrecision, route: BFloat16GEMM.Route) -> UInt64 {
        var hash = FNV()
        for (index, (m, n, k)) in fingerprintShapes.enumerated() {
            let (a, b) = operands(index, m: m, n: n, k: k)
            for v in product(precision, a, b, m: m, n: n, k: k, route: route) { hash.add(v.bitPattern) }
        }
        return hash.value
    }

    /// Shape `index`'s operands: values already bf16 (so rounding them is the
    /// identity), of varied magnitude, the same on every machine.
    static func operands(_ index: Int, m: Int, n: Int, k: Int) -> (a: [Float], b: [Float]) {
        var rng = SeededGenerator(seed: UInt64(index + 1))
        let a = rounded((0..<(m * k)).map { _ in Float(rng.normal()) })
        let b = rounded((0..<(k * n)).map { _ in Float(rng.normal()) })
        return (a, b)
    }

    static func product(_ precision: MatmulPrecision, _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                        route: BFloat16GEMM.Route) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        switch precision {
        case .bfloat16: BFloat16GEMM.gemm(false, false, m, n, k, 1, a, k, b, n, 0, &c, n, route: route)
        case .float32: GEMM.float32(false, false, m, n, k, 1, a, k, b, n, 0, &c, n)
        }
        return c
    }

    /// The bf16 numbers nearest `x` (the operands' own rounding), as float32.
    static func rounded(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        ck_round_bf16(x, 1, x.count, x.count, &out)
        return out
    }

    public static func describe(_ r: Report) -> [String] {
        func pct(_ x: Int) -> String { String(format: "%.1f%%", 100 * Double(x) / Double(max(r.outputs, 1))) }
        return [
            "\(r.route == .native ? "native" : "emulated") bf16 GEMM; threads \(Parallel.threadCount)",
            String(format: "fingerprint: bf16 %016llx, float32 %016llx (equal fingerprints: the same bits on these shapes)",
                   r.bfloat16Fingerprint, r.float32Fingerprint),
            "at K <= 512 (\(r.outputs) outputs): \(pct(r.sdmOrder)) equal the SDM order of VDPBF16PS (odd product added, then even, "
                + "each rounded), \(pct(r.oneRoundingPerPair)) one rounding per pair",
        ]
    }

    /// 64-bit FNV-1a over 32-bit words.
    struct FNV {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ word: UInt32) {
            for shift in stride(from: 0, to: 32, by: 8) {
                value ^= UInt64((word >> UInt32(shift)) & 0xff)
                value = value &* 0x0000_0100_0000_01b3
            }
        }
    }
}
