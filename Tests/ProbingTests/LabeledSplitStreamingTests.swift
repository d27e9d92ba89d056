import Evaluation
import Foundation
import Shards
import XCTest

/// A split read from its shards on demand gives the bytes, normalised
/// patches and subsets the in-memory split gives, in any index order.
final class LabeledSplitStreamingTests: XCTestCase {
    var dir = ""
    var shards: [String] = []

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("split-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let attrs = ShardAttributes(split: "train", imageSize: 8, patchSize: 4, channels: 1, classNames: ["a", "b", "c"],
                                    mean: [0.5], std: [0.25])
        var next = 0
        for (k, n) in [13, 9].enumerated() {  // two shards, chunks of 4
            let path = "\(dir)/train-0000\(k).h5"
            let w = try ShardWriter(path: path, attributes: attrs, chunkSamples: 4)
            let bytes = (next..<(next + n)).flatMap { i in (0..<64).map { UInt8(truncatingIfNeeded: i * 11 + $0 * 3) } }
            try bytes.withUnsafeBytes { try w.append(patchBytes: $0, labels: (next..<(next + n)).map { Int32($0 % 3) },
                                                     sources: (0..<n).map { "i\($0)" }) }
            try w.close()
            shards.append(path)
            next += n
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testOnDemandReadsEqualTheSplitInMemory() throws {
        let held = try LabeledSplit(name: "train", shardPaths: shards)
        let lazy = try LabeledSplit(name: "train", shardPaths: shards, inMemory: false)
        XCTAssertTrue(held.isInMemory)
        XCTAssertFalse(lazy.isInMemory)
        XCTAssertTrue(lazy.patches.isEmpty, "nothing held")
        XCTAssertEqual(lazy.labels, held.labels)
        // Runs across a chunk and a shard border, out of order, repeated.
        let indices = [21, 3, 4, 5, 12, 13, 14, 0, 12, 20, 7]
        XCTAssertEqual(try lazy.rawSamples(indices), try held.rawSamples(indices))
        XCTAssertEqual(try lazy.rawSamples(Array(0..<22)), held.patches)
        var a = [Float](repeating: 0, count: indices.count * 64), b = a
        try a.withUnsafeMutableBufferPointer { try lazy.normalized(indices, into: $0.baseAddress!) }
        try b.withUnsafeMutableBufferPointer { try held.normalized(indices, into: $0.baseAddress!) }
        XCTAssertEqual(a, b)
        let subset = try LabeledSplit(lazy, rows: [9, 2, 17], name: "subset")
        XCTAssertTrue(subset.isInMemory)
        XCTAssertEqual(subset.patches, try held.rawSamples([9, 2, 17]))
        XCTAssertEqual(subset.labels, [0, 2, 2])
        // A view reads the same samples from the shards when asked, holding none.
        let view = try LabeledSplit(lazy, rows: [9, 2, 17], name: "view", inMemory: false)
        XCTAssertFalse(view.isInMemory)
        XCTAssertTrue(view.patches.isEmpty)
        XCTAssertEqual(try view.rawSamples([0, 1, 2]), subset.patches)
        XCTAssertEqual(try view.rawSamples([2, 0]), try held.rawSamples([17, 9]))
        XCTAssertEqual(view.labels, subset.labels)
        var v = [Float](repeating: 0, count: 3 * 64), s = v
        try v.withUnsafeMutableBufferPointer { try view.normalized([0, 1, 2], into: $0.baseAddress!) }
        try s.withUnsafeMutableBufferPointer { try subset.normalized([0, 1, 2], into: $0.baseAddress!) }
        XCTAssertEqual(v, s)
    }
}
