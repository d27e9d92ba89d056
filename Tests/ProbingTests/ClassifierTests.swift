@testable import Evaluation
import XCTest
@testable import Probing
import Random

final class StandardizerTests: XCTestCase {
    func testZeroMeanUnitStdAndConstantFeatureStaysFinite() {
        let n = 500, f = 4
        var rng = SeededGenerator(seed: 7)
        var x = [Float](repeating: 0, count: n * f)
        for r in 0..<n {
            x[r * f + 0] = Float(100 + 5 * rng.normal())      // large mean: the two-pass case
            x[r * f + 1] = Float(rng.normal() * 1e-3)
            x[r * f + 2] = 42                                 // constant
            x[r * f + 3] = Float(rng.uniform() < 0.5 ? 0 : 1)
        }
        let s = Standardizer(x: x, count: n, features: f)
        XCTAssertEqual(s.std[2], 1, "a constant feature keeps scale 1")
        XCTAssertEqual(Double(s.mean[0]), 100, accuracy: 1)
        XCTAssertEqual(Double(s.std[0]), 5, accuracy: 0.5)
        var probe: [Float] = [s.mean[0], 0, 42, s.mean[3] + s.std[3]]
        x.withUnsafeMutableBufferPointer { s.apply($0.baseAddress!, count: n) }
        probe.withUnsafeMutableBufferPointer { s.apply($0.baseAddress!, count: 1) }
        for j in 0..<f {
            var m = 0.0, v = 0.0
            for r in 0..<n { m += Double(x[r * f + j]) }
            m /= Double(n)
            for r in 0..<n { v += (Double(x[r * f + j]) - m) * (Double(x[r * f + j]) - m) }
            v /= Double(n)
            XCTAssertEqual(m, 0, accuracy: 1e-4, "feature \(j) mean")
            XCTAssertEqual(v.squareRoot(), j == 2 ? 0 : 1, accuracy: 1e-3, "feature \(j) std")
        }
        XCTAssertTrue(x.allSatisfy { $0.isFinite })
        XCTAssertEqual(probe[0], 0, accuracy: 1e-6, "other rows use the fitted statistics")
        XCTAssertEqual(probe[2], 0)
        XCTAssertEqual(probe[3], 1, accuracy: 1e-6)
    }
}
