import XCTest
@testable import Probing
import Random

final class LBFGSTests: XCTestCase {
    func testRosenbrockFromTheClassicStart() {
        var x = [-1.2, 1.0]
        let result = LBFGS(gradientTolerance: 1e-9).minimize(&x) { p, g in
            let a = 1 - p[0], b = p[1] - p[0] * p[0]
            g[0] = -2 * a - 400 * p[0] * b
            g[1] = 200 * b
            return a * a + 100 * b * b
        }
        XCTAssertTrue(result.converged)
        XCTAssertEqual(x[0], 1, accuracy: 1e-6)
        XCTAssertEqual(x[1], 1, accuracy: 1e-6)
        XCTAssertLessThan(result.value, 1e-12)
        XCTAssertLessThan(result.iterations, 100, "L-BFGS needs about 35 iterations here")
        XCTAssertGreaterThanOrEqual(result.evaluations, result.iterations)
    }

    func testConvexQuadraticIsSolvedExactly() {
        // f = ½ xᵀAx - bᵀx with A = MᵀM + I (SPD); x* solves Ax = b.
        let n = 6
        var rng = SeededGenerator(seed: 3)
        let m = (0..<n * n).map { _ in rng.normal() }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            var s = i == j ? 1.0 : 0
            for k in 0..<n { s += m[k * n + i] * m[k * n + j] }
            a[i * n + j] = s
        } }
        let b = (0..<n).map { _ in rng.normal() }
        let expected = Self.solve(a, b)
        var x = [Double](repeating: 0, count: n)
        let result = LBFGS(memory: 10, gradientTolerance: 1e-11).minimize(&x) { p, g in
            var f = 0.0
            for i in 0..<n {
                var ax = 0.0
                for j in 0..<n { ax += a[i * n + j] * p[j] }
                g[i] = ax - b[i]
                f += 0.5 * p[i] * ax - b[i] * p[i]
            }
            return f
        }
        XCTAssertTrue(result.converged)
        for i in 0..<n { XCTAssertEqual(x[i], expected[i], accuracy: 1e-9, "x[\(i)]") }
        // With memory ≥ n and near-exact line searches BFGS ends in about n steps.
        XCTAssertLessThanOrEqual(result.iterations, 4 * n)
    }

    func testStopsAtTheIterationLimitWithoutClaimingConvergence() {
        var x = [-1.2, 1.0]
        let result = LBFGS(maxIterations: 3).minimize(&x) { p, g in
            let a = 1 - p[0], b = p[1] - p[0] * p[0]
            g[0] = -2 * a - 400 * p[0] * b
            g[1] = 200 * b
            return a * a + 100 * b * b
        }
        XCTAssertEqual(result.iterations, 3)
        XCTAssertFalse(result.converged)
        XCTAssertLessThan(result.value, 24.2, "it still went downhill from f(-1.2, 1) = 24.2")
    }

    /// Gaussian elimination with partial pivoting.
    static func solve(_ a0: [Double], _ b0: [Double]) -> [Double] {
        let n = b0.count
        var a = a0, b = b0
        for c in 0..<n {
            let p = (c..<n).max { abs(a[$0 * n + c]) < abs(a[$1 * n + c]) }!
            if p != c {
                for j in 0..<n { a.swapAt(c * n + j, p * n + j) }
                b.swapAt(c, p)
            }
            for r in (c + 1)..<n {
                let f = a[r * n + c] / a[c * n + c]
                for j in c..<n { a[r * n + j] -= f * a[c * n + j] }
                b[r] -= f * b[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in (0..<n).reversed() {
            var s = b[r]
            for j in (r + 1)..<n { s -= a[r * n + j] * x[j] }
            x[r] = s / a[r * n + r]
        }
        return x
    }
}
