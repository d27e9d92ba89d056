import CKernels
import Threads

/// GELU with the exact error function (PyTorch's nn.GELU() default),
/// x·Φ(x). Φ comes from CKernels' vectorised erfc (fractional error below
/// 1.2e-7; libm's scalar erff was 6% of a training step, measured with perf).
public enum GELU {
    public static func forward(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>) {
        let xs = SharedReadPointer(x), ys = SharedPointer(y)
        Parallel.forChunks(n) { _, r in ck_gelu(xs.base + r.lowerBound, ys.base + r.lowerBound, r.count) }
    }

    /// The fused bias and activation after a linear layer's GEMM:
    /// pre[r, :] += bias, then out = GELU(pre). With `keepSlope` (a
    /// training forward) pre is left holding GELU's slope there, which is
    /// all `backward(_:slope:…)` needs, so the backward does not evaluate
    /// Φ again (the same bits as `backward(_:x:…)` on the biased pre).
    public static func biasForward(_ pre: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int,
                                   width c: Int, into out: UnsafeMutablePointer<Float>, keepSlope: Bool = false) {
        let gelu = biasRowKernel(pre, bias: bias, width: c, keepSlope: keepSlope), os = SharedPointer(out)
        Parallel.forChunks(rows) { _, r in gelu(r, os.base + r.lowerBound * c) }
    }

    /// The same with the output rounded to bfloat16 into `rounded` as it is
    /// written (the next GEMM's operand; no float32 copy kept).
    static func biasForward(_ pre: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int, width c: Int,
                            rounded: BFloat16GEMM.Operand, keepSlope: Bool = false) {
        rounded.produce(rows: rows, cols: c, float32: nil, biasRowKernel(pre, bias: bias, width: c, keepSlope: keepSlope))
    }

    /// pre[r] += bias (or, keeping the slope, GELU'(pre[r] + bias)) and
    /// out = gelu(pre[r] + bias) for rows r (out at row r.lowerBound's place).
    private static func biasRowKernel(_ pre: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, width c: Int,
                                      keepSlope: Bool) -> @Sendable (Range<Int>, UnsafeMutablePointer<Float>) -> Void {
        let ps = SharedPointer(pre), bs = SharedReadPointer(bias)
        let kernel = keepSlope ? ck_bias_gelu_keep_slope : ck_bias_gelu
        return { r, out in kernel(ps.base + r.lowerBound * c, out, bs.base, r.count, c) }
    }

    /// dx = dy · (Φ(x) + x·φ(x)), from GELU's input (tests and references;
    /// a training step keeps the slope instead).
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count n: Int,
                                into dx: UnsafeMutablePointer<Float>) {
        let xs = SharedReadPointer(x), dys = SharedReadPointer(dy)
        let dxs = SharedPointer(dx)
        Parallel.forChunks(n) { _, r in
            ck_gelu_backward(dys.base + r.lowerBound, xs.base + r.lowerBound, dxs.base + r.lowerBound, r.count)
        }
    }

    /// dx = dy · slope over rows x width (the slope as a training
    /// `biasForward` left it), with dx's column sums (the bias gradient of
    /// the layer before GELU) taken as dx is written.
    static func backward(_ dy: UnsafePointer<Float>, slope: UnsafePointer<Float>, rows: Int, width c: Int,
                         into dx: UnsafeMutablePointer<Float>, columnSums: ColumnSums) {
        let ss = SharedReadPointer(slope), dys = SharedReadPointer(dy), dxs = SharedPointer(dx)
        RowBlocks.forEach(rows: rows, cols: c) { chunk, r in
            let at = r.lowerBound * c
            ck_gelu_backward_slope(dys.base + at, ss.base + at, dxs.base + at, r.count * c)
            columnSums.add(dxs.base + at, rows: r.count, chunk: chunk)
        }
        columnSums.finish()
    }

    /// The same with dx rounded to bfloat16 into `rounded` as it is written
    /// (the next backward GEMMs' dy) instead of kept as float32.
    static func backward(_ dy: UnsafePointer<Float>, slope: UnsafePointer<Float>, rows: Int, width c: Int,
                         rounded: BFloat16GEMM.Operand, columnSums: ColumnSums) {
        let ss = SharedReadPointer(slope), dys = SharedReadPointer(dy)
        rounded.produce(rows: rows, cols: c, float32: nil, columnSums: columnSums) { r, out in
            ck_gelu_backward_slope(dys.base + r.lowerBound * c, ss.base + r.lowerBound * c, out, r.count * c)
        }
    }
}
