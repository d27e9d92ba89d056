import Foundation
import XCTest
@testable import Shards

final class ShardTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("shard-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    let attrs = ShardAttributes(split: "train", imageSize: 8, patchSize: 4, channels: 3,
                                classNames: ["cat", "dög"], mean: [0.1, 0.2, 0.3], std: [1, 2, 3])

    func testRoundTripAcrossAppendsAndChunks() throws {
        let path = "\(dir)/train-00000.h5"
        let sample = attrs.numPatches * attrs.patchDim
        XCTAssertEqual(sample, 4 * 48)
        let all = (0..<(7 * sample)).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        let w = try ShardWriter(path: path, attributes: attrs, chunkSamples: 3, gzipLevel: 4)
        try all.withUnsafeBytes { b in
            try w.append(patchBytes: UnsafeRawBufferPointer(rebasing: b[0..<(5 * sample)]),
                         labels: [0, 1, 0, -1, 1], sources: ["a.png", "b.png", "c", "d", "e"])
            try w.append(patchBytes: UnsafeRawBufferPointer(rebasing: b[(5 * sample)...]),
                         labels: [1, 0], sources: ["f", "ünïcode/g.jpg"])
        }
        try w.close()
        try ShardWriter.setStatistics(path: path, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])

        let r = try ShardReader(path: path)
        XCTAssertEqual(r.count, 7)
        var expected = attrs
        expected.mean = [0.5, 0.5, 0.5]
        expected.std = [0.25, 0.25, 0.25]
        XCTAssertEqual(r.attributes, expected)
        XCTAssertEqual(try r.readPatches(start: 0, count: 7), all)
        XCTAssertEqual(try r.readPatches(start: 4, count: 2), Array(all[(4 * sample)..<(6 * sample)]))
        XCTAssertEqual(try r.readLabels(), [0, 1, 0, -1, 1, 1, 0])
        XCTAssertEqual(try r.readSources(), ["a.png", "b.png", "c", "d", "e", "f", "ünïcode/g.jpg"])
    }

    func testWriterRefusesToOverwrite() throws {
        let path = "\(dir)/x.h5"
        try ShardWriter(path: path, attributes: attrs).close()
        XCTAssertThrowsError(try ShardWriter(path: path, attributes: attrs))
    }

    func testReaderRejectsMissingTruncatedAndForeignFiles() throws {
        XCTAssertThrowsError(try ShardReader(path: "\(dir)/none.h5")) { XCTAssertTrue("\($0)".contains("missing")) }
        let text = "\(dir)/text.h5"
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try ShardReader(path: text)) { XCTAssertTrue("\($0)".contains(text)) }

        let path = "\(dir)/full.h5"
        let w = try ShardWriter(path: path, attributes: attrs, gzipLevel: 0)
        let n = 50, bytes = [UInt8](repeating: 9, count: n * attrs.numPatches * attrs.patchDim)
        try bytes.withUnsafeBytes { try w.append(patchBytes: $0, labels: .init(repeating: 0, count: n), sources: .init(repeating: "s", count: n)) }
        try w.close()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = "\(dir)/cut.h5"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try ShardReader(path: cut).readPatches(start: 0, count: n)) {
            XCTAssertTrue("\($0)".contains(cut), "\($0)")
        }
    }
}
