import Foundation
import Shards
import XCTest
@testable import Training

/// The official transforms in TrainingData: seeded per (step, sample), and
/// with every one off a batch is the stored images.
final class TrainingDataAugmentationTests: XCTestCase {
    var dir = ""
    var shard = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("aug-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // 8 RGB images of 16x16 in 4x4 patches, with structure for the crop to move.
        let attrs = ShardAttributes(split: "train", imageSize: 16, patchSize: 4, channels: 3, classNames: ["a"],
                                    mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
        let sample = attrs.numPatches * attrs.patchDim
        let bytes = (0..<(8 * sample)).map { UInt8(truncatingIfNeeded: ($0 * 37) ^ ($0 >> 5)) }
        shard = "\(dir)/train-00000.h5"
        let w = try ShardWriter(path: shard, attributes: attrs)
        try bytes.withUnsafeBytes { try w.append(patchBytes: $0, labels: [Int32](repeating: 0, count: 8),
                                                 sources: (0..<8).map { "i\($0)" }) }
        try w.close()
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func batch(_ aug: Augmentation, step: Int = 3) throws -> [Float] {
        let data = try TrainingData(shardPaths: [shard], batchSize: 4, seed: 7, augmentation: aug)
        var out = [Float](repeating: 0, count: 4 * data.attributes.numPatches * data.attributes.patchDim)
        try out.withUnsafeMutableBufferPointer { try data.batch(step: step, order: data.order(epoch: 0), into: $0.baseAddress!) }
        return out
    }

    func testColourDistortionAndBlurAreSeededAndChangeTheImages() throws {
        let crop = Augmentation(cropScale: 0.3...1.0, horizontalFlip: true)
        let all = Augmentation(cropScale: 0.3...1.0, horizontalFlip: true, colorJitterStrength: 0.5, gaussianBlur: true)
        XCTAssertEqual(try batch(all), try batch(all), "the same step gives the same batch")
        XCTAssertNotEqual(try batch(all), try batch(crop))
        XCTAssertNotEqual(try batch(all), try batch(all, step: 4))
        let blurOnly = Augmentation(cropScale: 1...1, gaussianBlur: true)
        XCTAssertNotEqual(try batch(blurOnly), try batch(Augmentation(cropScale: 1...1)))
    }

    func testWithEveryTransformOffABatchIsTheStoredImagesNormalised() throws {
        // No transform: the stored images, normalised.
        let none = try batch(Augmentation(cropScale: 1...1))
        let r = try ShardReader(path: shard)
        let data = try TrainingData(shardPaths: [shard], batchSize: 4, seed: 7, augmentation: Augmentation(cropScale: 1...1))
        let first = data.order(epoch: 0)[3 * 4 % 8]  // step 3 of an epoch of 2 steps: within-epoch step 1
        let sample = r.attributes.numPatches * r.attributes.patchDim
        let stored = try r.readPatches(start: first, count: 1)
        XCTAssertEqual(none[0..<sample].map { Double($0) }, stored.map { (Double($0) / 255 - 0.5) / 0.25 },
                       accuracy: 1e-5)
    }
}
