import CKernels
import Threads

/// LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) · w + b
/// (biased variance, as PyTorch). Without w and b: the plain normalisation
/// used on the target features. The row loops are CKernels'.
public enum LayerNorm {
    public static func forward(_ x: UnsafePointer<Float>, rows: Int, width c: Int, eps: Float = 1e-6,
                               weight w: UnsafePointer<Float>?, bias b: UnsafePointer<Float>?,
                               mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               into y: UnsafeMutablePointer<Float>) {
        let normalize = rowKernel(x, width: c, eps: eps, weight: w, bias: b, mean: mean, rstd: rstd)
        let ys = SharedPointer(y)
        Parallel.forChunks(rows) { _, r in normalize(r, ys.base + r.lowerBound * c) }
    }

    /// The same with the output rounded to bfloat16 into `rounded` as it is
    /// written (the next GEMM's operand); the float32 output goes to `y`
    /// only when given.
    static func forward(_ x: UnsafePointer<Float>, rows: Int, width c: Int, eps: Float = 1e-6,
                        weight w: UnsafePointer<Float>?, bias b: UnsafePointer<Float>?,
                        mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                        rounded: BFloat16GEMM.Operand, float32 y: UnsafeMutablePointer<Float>?) {
        rounded.produce(rows: rows, cols: c, float32: y,
                        rowKernel(x, width: c, eps: eps, weight: w, bias: b, mean: mean, rstd: rstd))
    }

    /// Normalises rows r of x into `out` (row r.lowerBound's place).
    private static func rowKernel(_ x: UnsafePointer<Float>, width c: Int, eps: Float, weight w: UnsafePointer<Float>?,
                                  bias b: UnsafePointer<Float>?, mean: UnsafeMutablePointer<Float>,
                                  rstd: UnsafeMutablePointer<Float>) -> @Sendable (Range<Int>, UnsafeMutablePointer<Float>) -> Void {
        precondition((w == nil) == (b == nil), "LayerNorm: weight and bias go together")
        let xs = SharedReadPointer(x), ms = SharedPointer(mean), rs = SharedPointer(rstd)
        let ws = w.map { SharedReadPointer($0) }
        let bs = b.map { SharedReadPointer($0) }
        return { r, out in
            let o = r.lowerBound
            ck_layernorm_forward(xs.base + o * c, ws?.base, bs?.base, eps, ms.base + o, rs.base + o, out, r.count, c)
        }
    }

    /// dx (+)= LayerNorm'ᵀ dy; dw += Σ dy·x̂, db += Σ dy (per-worker partial
    /// sums, then added in a fixed order, so the result is deterministic).
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, width c: Int,
                                weight w: UnsafePointer<Float>?, mean: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, dWeight dw: UnsafeMutablePointer<Float>?,
                                dBias db: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>,
                                accumulate: Bool, scratch: FloatBuffer) {
        let workers = Parallel.chunkCount(rows)
        let partial = scratch.reserve(workers * 2 * c)
        partial.update(repeating: 0, count: workers * 2 * c)
        let dys = SharedReadPointer(dy), xs = SharedReadPointer(x)
        let ms = SharedReadPointer(mean), rs = SharedReadPointer(rstd)
        let ws = w.map { SharedReadPointer($0) }
        let dxs = SharedPointer(dx), ps = SharedPointer(partial)
        Parallel.forChunks(rows) { chunk, r in
            let o = r.lowerBound, pw = ps.base + chunk * 2 * c
            ck_layernorm_backward(dys.base + o * c, xs.base + o * c, ws?.base, ms.base + o, rs.base + o, dxs.base + o * c,
                                  accumulate ? 1 : 0, pw, pw + c, r.count, c)
        }
        for k in 0..<workers {
            let pw = partial + k * 2 * c
            if let dw { ck_add(pw, dw, c) }
            if let db { ck_add(pw + c, db, c) }
        }
    }
}
