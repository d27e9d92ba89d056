@testable import Evaluation
import XCTest
@testable import Probing
import Random

final class KNNTests: XCTestCase {
    func testQueriesNearAClusterGetItsLabel() {
        var rng = SeededGenerator(seed: 4)
        let centers: [[Float]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        var train: [Float] = [], labels: [Int32] = []
        for c in 0..<3 { for _ in 0..<10 {
            train += centers[c].map { $0 * 3 + Float(0.1 * rng.normal()) }   // norm ≠ 1: cosine must normalise
            labels.append(Int32(c))
        } }
        let query: [Float] = [0.9, 0.1, 0.05, 0.02, 0.1, 2, 0.1, 0.1, 0.5]
        let p = KNNClassifier.predict(train: train, trainLabels: labels, trainCount: 30, query: query, queryCount: 3,
                                      dim: 3, classes: 3, k: 5)
        XCTAssertEqual(p, [0, 2, 2])
    }

    /// One class-0 neighbour exactly along the query (sim 1) against two
    /// class-1 neighbours at ±60° (sim 0.5): with k = 3 the majority is
    /// class 1, but at temperature 0.07 one vote of e^(1/0.07) outweighs two
    /// of e^(0.5/0.07). A large temperature flattens the weights back to a
    /// majority vote.
    func testWeightedVotesDifferFromMajority() {
        let s = Float(3).squareRoot() / 2
        let train: [Float] = [2, 0, 0.5, s, 0.5, -s, -1, 0]
        let labels: [Int32] = [0, 1, 1, 0]
        let query: [Float] = [5, 0]
        func predict(k: Int, temperature: Double) -> Int32 {
            KNNClassifier.predict(train: train, trainLabels: labels, trainCount: 4, query: query, queryCount: 1, dim: 2,
                                  classes: 2, k: k, temperature: temperature)[0]
        }
        XCTAssertEqual(predict(k: 3, temperature: 0.07), 0)
        XCTAssertEqual(predict(k: 3, temperature: 100), 1)
        XCTAssertEqual(predict(k: 1, temperature: 100), 0)
        // k = 4 adds the opposite class-0 point (sim -1): still class 1 at a flat temperature (2 vs 2, weights e^±0.01).
        XCTAssertEqual(predict(k: 4, temperature: 100), 1)
    }

    /// Against a Double brute force (full sort) on random data, with more
    /// queries than one similarity chunk holds.
    func testMatchesBruteForceReference() {
        let trainCount = 200, queryCount = 600, dim = 12, classes = 5, k = 10, temperature = 0.07
        var rng = SeededGenerator(seed: 8)
        let offsets = (0..<classes * dim).map { _ in rng.normal() }
        var train: [Float] = [], labels: [Int32] = []
        for _ in 0..<trainCount {
            let c = rng.below(classes)
            labels.append(Int32(c))
            train += (0..<dim).map { Float(offsets[c * dim + $0] + 1.5 * rng.normal()) }
        }
        var query: [Float] = []
        for _ in 0..<queryCount {
            let c = rng.below(classes)
            query += (0..<dim).map { Float(offsets[c * dim + $0] + 1.5 * rng.normal()) }
        }
        let got = KNNClassifier.predict(train: train, trainLabels: labels, trainCount: trainCount, query: query,
                                        queryCount: queryCount, dim: dim, classes: classes, k: k,
                                        temperature: temperature)
        func unit(_ v: ArraySlice<Float>) -> [Double] {
            let d = v.map(Double.init), norm = d.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return d.map { $0 / norm }
        }
        let trainUnit = (0..<trainCount).map { unit(train[$0 * dim..<($0 + 1) * dim]) }
        var expected: [Int32] = []
        for q in 0..<queryCount {
            let u = unit(query[q * dim..<(q + 1) * dim])
            var sims = [Double](repeating: 0, count: trainCount)
            for i in 0..<trainCount { for j in 0..<dim { sims[i] += trainUnit[i][j] * u[j] } }
            let order = sims.indices.sorted { sims[$0] > sims[$1] }
            var votes = [Double](repeating: 0, count: classes)
            for i in order.prefix(k) { votes[Int(labels[i])] += exp(sims[i] / temperature) }
            expected.append(Int32(votes.indices.max { votes[$0] < votes[$1] }!))
        }
        XCTAssertEqual(got, expected)
        XCTAssertGreaterThan(Set(expected).count, 2, "the reference is not trivially constant")
    }

    func testTopKKeepsTheLargestInOrder() {
        let row: [Float] = [0.1, 0.9, -0.3, 0.9, 0.5, 0.7, 0.2]
        let scale = [Float](repeating: 1, count: row.count)
        var sims = [Float](repeating: 0, count: 3), idx = [Int](repeating: -1, count: 3)
        let filled = KNNClassifier.topK(row, scale: scale, count: row.count, k: 3, sims: &sims, indices: &idx)
        XCTAssertEqual(filled, 3)
        XCTAssertEqual(sims, [0.9, 0.9, 0.7])
        XCTAssertEqual(idx, [1, 3, 5], "ties keep the lower index first")
    }
}
