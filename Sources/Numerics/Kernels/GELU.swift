import Foundation
import Threads

/// GELU with the exact error function (PyTorch's nn.GELU() default).
public enum GELU {
    public static func forward(_ x: UnsafePointer<Float>, count n: Int, into y: UnsafeMutablePointer<Float>) {
        let xs = SharedPointer(UnsafeMutablePointer(mutating: x)), ys = SharedPointer(y)
        Parallel.forChunks(n) { _, range in
            for i in range {
                let v = xs.base[i]
                ys.base[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
            }
        }
    }

    /// dx = dy · (Φ(x) + x·φ(x)).
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count n: Int,
                                into dx: UnsafeMutablePointer<Float>) {
        let xs = SharedPointer(UnsafeMutablePointer(mutating: x)), dys = SharedPointer(UnsafeMutablePointer(mutating: dy))
        let dxs = SharedPointer(dx)
        Parallel.forChunks(n) { _, range in
            for i in range {
                let v = xs.base[i]
                let cdf = 0.5 * (1 + erff(v * 0.70710678118654752))
                let pdf = 0.39894228040143268 * expf(-0.5 * v * v)
                dxs.base[i] = dys.base[i] * (cdf + v * pdf)
            }
        }
    }
}
