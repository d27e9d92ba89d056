import XCTest
@testable import Numerics
import Random

/// Central finite differences of a scalar loss against an analytic gradient,
/// in Float32 with a tolerance tight enough to catch a wrong sign or a
/// missing term (see `testCheckerCatchesBrokenGradients`).
enum GradientCheck {
    /// Worst |analytic − numeric| / (atol + rtol·max(|a|, |n|)) over `samples`
    /// coordinates; ≤ 1 passes.
    static func worst(_ x: UnsafeMutablePointer<Float>, count: Int, analytic: UnsafePointer<Float>,
                      samples: Int = 24, eps: Float = 1e-2, rtol: Double = 2e-2, atol: Double = 1e-3,
                      loss: () -> Double) -> Double {
        var rng = SeededGenerator(seed: UInt64(count))
        var worst = 0.0
        let picks = count <= samples ? Array(0..<count) : (0..<samples).map { _ in Int(rng.next() % UInt64(count)) }
        for i in picks {
            let keep = x[i]
            x[i] = keep + eps
            let up = loss()
            x[i] = keep - eps
            let down = loss()
            x[i] = keep
            let numeric = (up - down) / Double(2 * eps)
            let a = Double(analytic[i])
            worst = max(worst, abs(a - numeric) / (atol + rtol * max(abs(a), abs(numeric))))
        }
        return worst
    }

    /// Σ y ⊙ g in Double: the test loss whose gradient w.r.t. y is g.
    static func dot(_ y: UnsafePointer<Float>, _ g: [Float]) -> Double {
        var s = 0.0
        for i in 0..<g.count { s += Double(y[i]) * Double(g[i]) }
        return s
    }

    static func random(_ n: Int, seed: UInt64, std: Double = 1, mean: Double = 0) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(mean + std * rng.normal()) }
    }
}

/// Test tensors with a stable address, so a loss closure can read what the
/// checker perturbs (Swift arrays passed inout would conflict).
final class Vec {
    let p: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        p = .allocate(capacity: max(count, 1))
        p.initialize(from: values, count: count)
    }

    convenience init(zeros n: Int) { self.init([Float](repeating: 0, count: n)) }

    subscript(i: Int) -> Float { p[i] }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }

    deinit { p.deallocate() }
}
