import Evaluation
import Foundation
import Imaging
import Numerics
import Shards
import Training
import XCTest
@testable import Interop

/// Features agree across the border with the official I-JEPA code
/// (facebookresearch/ijepa's VisionTransformer), on the fixture's images,
/// through the Probe's own extraction path (shard, split, extractor):
/// - the official model loaded with our exported target encoder gives the
///   features our Probe extracts from it;
/// - a checkpoint written by the official code (random weights, official
///   layout, converted by tools/interop/ijepa_checkpoint.py) gives in our
///   Probe the features the official model gives.
/// Fixtures: tools/interop/make_fixture.py (development side, needs torch and
/// the official repository); IJEPA_UPDATE_FIXTURES=1 rewrites our export.
final class CrossBorderFeatureTests: XCTestCase {
    static let sourceFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("border-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func fixture(_ name: String, _ ext: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures")).path
    }

    /// The fixture model: 16x16 RGB images in 4x4 patches, width 32, 2 blocks of 2 heads.
    static let shape = JEPAShape(channels: 3, patchSize: 4, gridSize: 4,
                                 encoder: ViTConfig(embedDim: 32, depth: 2, numHeads: 2), predictorDim: 16, predictorDepth: 1)
    static let seed: UInt64 = 3

    /// The fixture's images as a one-shard split, as Prepare writes them.
    func split() throws -> (LabeledSplit, HDF5File) {
        let f = try HDF5File(path: try fixture("interop", "h5"))
        let images = try f.int32s("images").map { UInt8($0) }  // (B, 16, 16, 3)
        let b = images.count / (16 * 16 * 3)
        let attrs = ShardAttributes(split: "val", imageSize: 16, patchSize: 4, channels: 3, classNames: ["x"],
                                    mean: try f.doubles("mean"), std: try f.doubles("std"))
        var patches = [UInt8](repeating: 0, count: b * attrs.numPatches * attrs.patchDim)
        for i in 0..<b {
            let image = Image(width: 16, height: 16, channels: 3, pixels: Array(images[(i * 768)..<((i + 1) * 768)]))
            patches.withUnsafeMutableBufferPointer { Patchify.extract(image, patch: 4, into: $0.baseAddress! + i * attrs.numPatches * attrs.patchDim) }
        }
        let path = "\(dir)/val-00000.h5"
        let w = try ShardWriter(path: path, attributes: attrs)
        try patches.withUnsafeBytes { try w.append(patchBytes: $0, labels: [Int32](repeating: 0, count: b), sources: (0..<b).map { "i\($0)" }) }
        try w.close()
        return (try LabeledSplit(name: "val", shardPaths: [path]), f)
    }

    func assertClose(_ ours: [Float], _ official: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.count, official.count, file: file, line: line)
        let scale = official.map { abs($0) }.max() ?? 1
        let worst = zip(ours, official).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst / scale, 1e-4, "largest difference \(worst) against values up to \(scale)", file: file, line: line)
        print("largest relative feature difference against the official model: \(worst / scale)")
    }

    func testOurExportIsTheFileTheOfficialModelWasGiven() throws {
        let trainer = JEPATrainer(shape: Self.shape, loss: .smoothL1, seed: Self.seed)
        let path = "\(dir)/ours.safetensors"
        try WeightsExport.write(trainer, content: .targetEncoder, metadata: ["fixture": "seed 3"], to: path)
        if ProcessInfo.processInfo.environment["IJEPA_UPDATE_FIXTURES"] == "1" {
            try? FileManager.default.removeItem(atPath: "\(Self.sourceFixtures)/our_export.safetensors")
            try FileManager.default.copyItem(atPath: path, toPath: "\(Self.sourceFixtures)/our_export.safetensors")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), FileManager.default.contents(atPath: try fixture("our_export", "safetensors")),
                       "the exporter's bytes changed: rerun tools/interop/make_fixture.py")
    }

    func testTheOfficialModelWithOurExportGivesTheFeaturesOurProbeExtracts() throws {
        let (split, f) = try split()
        let encoder = VisionTransformer(shape: Self.shape)
        try WeightsImport.loadEncoder(try fixture("our_export", "safetensors"), into: encoder)
        let ours = try FeatureExtractor.encoderFeatures(encoder, kind: .last, split: split, batchSize: 4, progress: nil)
        assertClose(ours, try f.floats("features_of_our_export"))
    }

    func testOurProbeGivesTheOfficialFeaturesOfAnOfficialCheckpoint() throws {
        let (split, f) = try split()
        let encoder = VisionTransformer(shape: Self.shape)
        try WeightsImport.loadEncoder(try fixture("official_target_encoder", "safetensors"), into: encoder)
        let ours = try FeatureExtractor.encoderFeatures(encoder, kind: .last, split: split, batchSize: 4, progress: nil)
        assertClose(ours, try f.floats("features_of_official_checkpoint"))
    }
}
