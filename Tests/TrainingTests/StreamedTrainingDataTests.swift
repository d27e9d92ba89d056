import Foundation
import Shards
import XCTest
@testable import Training

/// The streamed order (`ShuffleWindows`) and the streamed `TrainingData`:
/// every sample once per epoch, windows within the buffer, ranks on disjoint
/// chunks, and a batch that depends only on its step (what resume needs).
final class StreamedTrainingDataTests: XCTestCase {
    let sizes = [5, 5, 5, 5, 3, 5, 5, 2]  // two shards' chunks: 23 + 12 samples

    func testOrderIsAPureFunctionOfSeedEpochAndWindow() {
        let a = ShuffleWindows(chunkSizes: sizes, windowSamples: 11, seed: 3, epoch: 1)
        XCTAssertEqual(a.order, ShuffleWindows(chunkSizes: sizes, windowSamples: 11, seed: 3, epoch: 1).order)
        XCTAssertNotEqual(a.order, ShuffleWindows(chunkSizes: sizes, windowSamples: 11, seed: 3, epoch: 2).order)
        XCTAssertNotEqual(a.order, ShuffleWindows(chunkSizes: sizes, windowSamples: 11, seed: 4, epoch: 1).order)
        XCTAssertNotEqual(a.order, ShuffleWindows(chunkSizes: sizes, windowSamples: 20, seed: 3, epoch: 1).order)
    }

    func testEverySampleOncePerEpochInWindowsOfTheirChunks() {
        for epoch in 0..<10 {
            let w = ShuffleWindows(chunkSizes: sizes, windowSamples: 11, seed: 9, epoch: epoch)
            XCTAssertEqual(w.order.sorted(), Array(0..<35))
            var firsts = [0]
            for n in sizes.dropLast() { firsts.append(firsts.last! + n) }
            for (k, samples) in w.windows.enumerated() {
                XCTAssertLessThanOrEqual(samples.count, 11)
                let expected = w.chunks[k].flatMap { firsts[$0]..<(firsts[$0] + sizes[$0]) }
                XCTAssertEqual(samples.sorted(), expected.sorted(), "a window is exactly its chunks' samples")
                XCTAssertEqual(w.starts[k], w.windows[..<k].reduce(0) { $0 + $1.count })
            }
            for p in 0..<w.count { XCTAssertTrue(w.windows[w.window(at: p)].contains(w.order[p])) }
        }
    }

    func testRanksReadDisjointChunksAndGetTheGuaranteedShare() {
        for ranks in 1...3 {
            let guaranteed = ShuffleWindows.guaranteedSamples(chunkSizes: sizes, ranks: ranks)
            for epoch in 0..<10 {
                let all = (0..<ranks).map { ShuffleWindows(chunkSizes: sizes, windowSamples: 11, seed: 1, epoch: epoch,
                                                           rank: $0, ranks: ranks) }
                XCTAssertEqual(all.flatMap(\.order).sorted(), Array(0..<35), "the ranks' chunks cover the split once")
                XCTAssertEqual(Set(all.flatMap { $0.chunks.flatMap { $0 } }).count, sizes.count)
                for w in all { XCTAssertGreaterThanOrEqual(w.count, guaranteed, "ranks \(ranks), epoch \(epoch)") }
            }
        }
        XCTAssertEqual(ShuffleWindows.guaranteedSamples(chunkSizes: sizes, ranks: 1), 35)
        XCTAssertEqual(ShuffleWindows.guaranteedSamples(chunkSizes: sizes, ranks: 3), 2 + 3)
    }

    // MARK: TrainingData over real shards

    var dir = ""
    var shards: [String] = []
    let count = 35

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stream-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // 35 grayscale 8x8 images in 4x4 patches (64 bytes each), chunks of 5, in
        // two shards of 23 and 12; each image's bytes carry its index.
        let attrs = ShardAttributes(split: "train", imageSize: 8, patchSize: 4, channels: 1, classNames: ["a"],
                                    mean: [0.5], std: [0.25])
        var next = 0
        for (k, n) in [23, 12].enumerated() {
            let path = "\(dir)/train-0000\(k).h5"
            let w = try ShardWriter(path: path, attributes: attrs, chunkSamples: 5)
            let bytes = (next..<(next + n)).flatMap { i in (0..<64).map { UInt8(truncatingIfNeeded: i * 7 + $0) } }
            try bytes.withUnsafeBytes { try w.append(patchBytes: $0, labels: [Int32](repeating: 0, count: n),
                                                     sources: (0..<n).map { "i\($0)" }) }
            try w.close()
            shards.append(path)
            next += n
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// No augmentation: a batch is the stored images, normalised.
    func data(buffer: Int, batch: Int = 4, rank: Int = 0, ranks: Int = 1) throws -> TrainingData {
        try TrainingData(shardPaths: shards, batchSize: batch, seed: 5, augmentation: Augmentation(cropScale: 1...1),
                         bufferBytes: buffer, rank: rank, ranks: ranks)
    }

    func batch(_ d: TrainingData, step: Int, samples: Range<Int>? = nil) throws -> [Float] {
        var out = [Float](repeating: 0, count: (samples?.count ?? d.batchSize) * 64)
        let order = d.order(epoch: step / d.itersPerEpoch)
        try out.withUnsafeMutableBufferPointer { try d.batch(step: step, order: order, samples: samples, into: $0.baseAddress!) }
        return out
    }

    /// The image index a normalised sample came from (its first byte is index·7).
    func indices(_ floats: [Float]) -> [Int] {
        stride(from: 0, to: floats.count, by: 64).map { k in
            let byte = Int((floats[k] * 0.25 + 0.5) * 255 + 0.5)
            return (0..<count).first { ($0 * 7) & 255 == byte }!
        }
    }

    func testSplitThatFitsIsHeldWholeInTodaysOrder() throws {
        let d = try data(buffer: count * 64)
        XCTAssertNil(d.stream)
        XCTAssertEqual(d.itersPerEpoch, 8)
        XCTAssertEqual(d.order(epoch: 0).sorted(), Array(0..<count))
        XCTAssertEqual(indices(try batch(d, step: 1)), Array(d.order(epoch: 0)[4..<8]))
    }

    func testStreamedEpochServesItsOrderAndEverySampleOnce() throws {
        let d = try data(buffer: count * 64 - 1)  // one byte short: streamed, windows of 17 -> 3 chunks of 5
        let s = try XCTUnwrap(d.stream)
        XCTAssertEqual(s.chunkSizes, [5, 5, 5, 5, 3, 5, 5, 2])
        XCTAssertEqual(s.windowSamples, 17)
        XCTAssertEqual(d.itersPerEpoch, 8, "35 samples, batches of 4")
        for epoch in 0..<2 {
            var seen: [Int] = []
            for step in (epoch * 8)..<((epoch + 1) * 8) { seen += indices(try batch(d, step: step)) }
            XCTAssertEqual(seen, Array(d.order(epoch: epoch).prefix(32)))
            XCTAssertEqual(Set(seen).count, 32)
        }
        XCTAssertNotEqual(d.order(epoch: 0), d.order(epoch: 1))
    }

    func testStreamedBatchDependsOnlyOnItsStep() throws {
        let sequential = try data(buffer: 600)  // windows of 5 samples: one chunk, so batches straddle windows
        var expected: [[Float]] = []
        for step in 0..<20 { expected.append(try batch(sequential, step: step)) }
        for step in [13, 0, 19, 7, 8] {
            XCTAssertEqual(try batch(try data(buffer: 600), step: step), expected[step], "a fresh reader at step \(step)")
        }
    }

    func testRanksStreamDisjointSlices() throws {
        let ranks = (0..<2).map { try! data(buffer: 600, rank: $0, ranks: 2) }
        XCTAssertEqual(ranks[0].itersPerEpoch, ranks[1].itersPerEpoch)
        var seen: [[Int]] = [[], []]
        for step in 0..<ranks[0].itersPerEpoch {
            for r in 0..<2 { seen[r] += indices(try batch(ranks[r], step: step, samples: (r * 2)..<(r * 2 + 2))) }
        }
        XCTAssertTrue(Set(seen[0]).isDisjoint(with: seen[1]))
        XCTAssertEqual(Set(seen[0] + seen[1]).count, seen[0].count + seen[1].count)
    }
}
