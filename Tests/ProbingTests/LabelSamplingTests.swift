@testable import Evaluation
import XCTest
@testable import Probing
import Random

final class LabelSamplingTests: XCTestCase {
    /// Class sizes 1000, 500, 30, 3, 0, 1, shuffled together.
    static func labels() -> [Int32] {
        var l: [Int32] = []
        for (c, n) in [1000, 500, 30, 3, 0, 1].enumerated() { l += [Int32](repeating: Int32(c), count: n) }
        var rng = SeededGenerator(seed: 1)
        for i in stride(from: l.count - 1, to: 0, by: -1) { l.swapAt(i, rng.below(i + 1)) }
        return l
    }

    func counts(_ indices: [Int], _ labels: [Int32]) -> [Int] {
        var c = [Int](repeating: 0, count: 6)
        for i in indices { c[Int(labels[i])] += 1 }
        return c
    }

    func testPerClassKeepsEveryClassAtTheFraction() {
        let labels = Self.labels()
        let onePercent = LabelSampling.perClass(labels: labels, classes: 6, fraction: 0.01, seed: 5)
        XCTAssertEqual(counts(onePercent, labels), [10, 5, 1, 1, 0, 1], "round(f·n), at least 1 per present class")
        let tenPercent = LabelSampling.perClass(labels: labels, classes: 6, fraction: 0.1, seed: 5)
        XCTAssertEqual(counts(tenPercent, labels), [100, 50, 3, 1, 0, 1])
        for s in [onePercent, tenPercent] {
            XCTAssertEqual(s, s.sorted())
            XCTAssertEqual(Set(s).count, s.count)
        }
        XCTAssertTrue(Set(onePercent).isSubset(of: Set(tenPercent)), "same seed: the smaller sample nests")
        XCTAssertEqual(LabelSampling.perClass(labels: labels, classes: 6, fraction: 1, seed: 5), Array(labels.indices))
    }

    func testStratifiedSubsetHasExactlyTheCountInProportion() {
        let labels = Self.labels()  // classes of 1000, 500, 30, 3, 0, 1
        let rows = Array(stride(from: 0, to: labels.count, by: 2))  // a subset of the rows, as the holdout is
        let pick = LabelSampling.stratifiedSubset(rows, labels: labels, classes: 6, count: 100, seed: 3)
        XCTAssertEqual(pick.count, 100)
        XCTAssertEqual(Set(pick).count, 100)
        XCTAssertTrue(Set(pick).isSubset(of: Set(rows)))
        let have = counts(rows, labels), got = counts(pick, labels)
        for c in 0..<6 {
            XCTAssertEqual(Double(got[c]), 100 * Double(have[c]) / Double(rows.count), accuracy: 1, "class \(c): \(got)")
        }
        XCTAssertEqual(pick, LabelSampling.stratifiedSubset(rows, labels: labels, classes: 6, count: 100, seed: 3))
        XCTAssertNotEqual(pick, LabelSampling.stratifiedSubset(rows, labels: labels, classes: 6, count: 100, seed: 4))
        XCTAssertEqual(LabelSampling.stratifiedSubset(rows, labels: labels, classes: 6, count: 5000, seed: 3), rows)
    }

    func testPerClassIsSeeded() {
        let labels = Self.labels()
        let a = LabelSampling.perClass(labels: labels, classes: 6, fraction: 0.1, seed: 5)
        XCTAssertEqual(a, LabelSampling.perClass(labels: labels, classes: 6, fraction: 0.1, seed: 5))
        let b = LabelSampling.perClass(labels: labels, classes: 6, fraction: 0.1, seed: 6)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(counts(a, labels), counts(b, labels))
    }

    func testStratifiedSplitIsDisjointAndCovering() {
        let labels = Self.labels()
        let (fit, holdout) = LabelSampling.stratifiedSplit(labels: labels, classes: 6, holdoutFraction: 0.2, seed: 9)
        XCTAssertTrue(Set(fit).isDisjoint(with: Set(holdout)))
        XCTAssertEqual((fit + holdout).sorted(), Array(labels.indices))
        XCTAssertEqual(fit, fit.sorted())
        XCTAssertEqual(holdout, holdout.sorted())
        XCTAssertEqual(counts(holdout, labels), [200, 100, 6, 1, 0, 0], "a single-sample class stays in fit")
        let again = LabelSampling.stratifiedSplit(labels: labels, classes: 6, holdoutFraction: 0.2, seed: 9)
        XCTAssertEqual(again.holdout, holdout)
        let other = LabelSampling.stratifiedSplit(labels: labels, classes: 6, holdoutFraction: 0.2, seed: 10)
        XCTAssertNotEqual(other.holdout, holdout)
    }
}
