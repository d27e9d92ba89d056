import Dispatch
import Numerics

/// The machine's sgemm 1024³ rate, the reference a step's rate is judged
/// against, sampled as often as a benchmark asks: this 2-core VM's speed
/// moves by 10-20% within a minute (bench runs minutes apart read 160 and
/// 215 GFLOP/s for it, and one run's samples 142-214), so the median of
/// samples taken between the timed steps matches what the steps met better
/// than one figure taken after them.
public final class SgemmReference {
    let n: Int
    let a: FloatBuffer, b: FloatBuffer, c: FloatBuffer
    public private(set) var samples: [Double] = []

    /// Allocates and touches the operands (one untimed GEMM).
    public init(size n: Int = 1024) {
        self.n = n
        a = FloatBuffer(n * n)
        b = FloatBuffer(n * n)
        c = FloatBuffer(n * n)
        multiply()
    }

    /// Times one GEMM through the step's path (`GEMM.sgemm`); returns its
    /// rate in GFLOP/s and keeps it.
    @discardableResult
    public func sample() -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        multiply()
        let rate = 2 * Double(n * n * n) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) / 1e9
        samples.append(rate)
        return rate
    }

    /// The median of `count` samples taken now.
    public static func rate(size n: Int = 1024, samples count: Int = 3) -> Double {
        let r = SgemmReference(size: n)
        for _ in 0..<count { r.sample() }
        return median(r.samples)
    }

    private func multiply() {
        GEMM.sgemm(false, false, n, n, n, 1, a.pointer, n, b.pointer, n, 0, c.pointer, n)
    }
}
