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
    /// pre[r, :] += bias, then out = GELU(pre) (pre is kept for backward).
    public static func biasForward(_ pre: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, rows: Int,
                                   width c: Int, into out: UnsafeMutablePointer<Float>) {
        let ps = SharedPointer(pre), os = SharedPointer(out), bs = SharedReadPointer(bias)
        Parallel.forChunks(rows) { _, r in
            ck_bias_gelu(ps.base + r.lowerBound * c, os.base + r.lowerBound * c, bs.base, r.count, c)
        }
    }

    /// dx = dy · (Φ(x) + x·φ(x)).
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count n: Int,
                                into dx: UnsafeMutablePointer<Float>) {
        let xs = SharedReadPointer(x), dys = SharedReadPointer(dy)
        let dxs = SharedPointer(dx)
        Parallel.forChunks(n) { _, r in
            ck_gelu_backward(dys.base + r.lowerBound, xs.base + r.lowerBound, dxs.base + r.lowerBound, r.count)
        }
    }
}
