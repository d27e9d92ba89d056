import Foundation
import Numerics
import SafeTensors
import Training
import XCTest
@testable import Interop

/// Our weights -> safetensors -> our loader gives the same tensors, and a
/// file that does not fit the config's model is refused, naming the tensor.
final class WeightsRoundTripTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static func shape(embed: Int = 32, grid: Int = 4) -> JEPAShape {
        JEPAShape(channels: 3, patchSize: 4, gridSize: grid, encoder: ViTConfig(embedDim: embed, depth: 2, numHeads: 2),
                  predictorDim: 16, predictorDepth: 1)
    }

    func values(_ store: ParameterStore) -> [Float] {
        Array(UnsafeBufferPointer(start: store.value(0), count: store.count))
    }

    func testTargetEncoderComesBackBitForBitUnderTheOfficialNames() throws {
        let t = JEPATrainer(shape: Self.shape(), loss: .smoothL1, seed: 3)
        let path = "\(dir)/target.safetensors"
        try WeightsExport.write(t, content: .targetEncoder, metadata: ["note": "test"], to: path)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.names.first, "pos_embed", "the official state_dict order: the module's own parameters first")
        XCTAssertEqual(try file.shape("pos_embed"), [1, 16, 32])
        XCTAssertEqual(try file.shape("blocks.1.attn.qkv.weight"), [96, 32])
        XCTAssertEqual(try file.shape("patch_embed.proj.weight"), [32, 3, 4, 4])
        XCTAssertEqual(file.metadata["content"], "target_encoder")
        XCTAssertEqual(file.metadata["note"], "test")
        let e = VisionTransformer(shape: Self.shape())
        try WeightsImport.loadEncoder(path, into: e)
        XCTAssertEqual(values(e.params), values(t.targetEncoder.params))
    }

    func testTrainingStateComesBackWithEveryModule() throws {
        let t = JEPATrainer(shape: Self.shape(), loss: .smoothL1, seed: 3)
        // Make the modules differ, as after training.
        t.targetEncoder.params.value(0)[0] += 1
        t.predictor.params.value(0)[0] += 2
        let path = "\(dir)/state.safetensors"
        try WeightsExport.write(t, content: .trainingState, metadata: [:], to: path)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertTrue(file.names.contains("predictor.predictor_pos_embed"))
        XCTAssertTrue(file.names.contains("opt.predictor.exp_avg_sq.mask_token"))
        XCTAssertEqual(file.names.filter { $0.hasPrefix("predictor.") }.prefix(2), ["predictor.mask_token", "predictor.predictor_pos_embed"])
        let u = JEPATrainer(shape: Self.shape(), loss: .smoothL1, seed: 99)
        XCTAssertEqual(try WeightsImport.load(path, into: u), .allModules)
        XCTAssertEqual(values(u.encoder.params), values(t.encoder.params))
        XCTAssertEqual(values(u.predictor.params), values(t.predictor.params))
        XCTAssertEqual(values(u.targetEncoder.params), values(t.targetEncoder.params))
        // The probe's reader takes the target encoder out of a state file.
        let e = VisionTransformer(shape: Self.shape())
        try WeightsImport.loadEncoder(path, into: e)
        XCTAssertEqual(values(e.params), values(t.targetEncoder.params))
        // One encoder starts both encoders; the predictor keeps its seed.
        let single = "\(dir)/single.safetensors"
        try WeightsExport.write(t, content: .targetEncoder, metadata: [:], to: single)
        let v = JEPATrainer(shape: Self.shape(), loss: .smoothL1, seed: 99)
        let predictorBefore = values(v.predictor.params)
        XCTAssertEqual(try WeightsImport.load(single, into: v), .encoderOnly)
        XCTAssertEqual(values(v.encoder.params), values(t.targetEncoder.params))
        XCTAssertEqual(values(v.targetEncoder.params), values(t.targetEncoder.params))
        XCTAssertEqual(values(v.predictor.params), predictorBefore)
    }

    func testAFileForAnotherModelIsRefusedNamingTheFirstMismatch() throws {
        let wide = JEPATrainer(shape: Self.shape(embed: 48), loss: .smoothL1, seed: 3)
        let path = "\(dir)/wide.safetensors"
        try WeightsExport.write(wide, content: .targetEncoder, metadata: [:], to: path)
        XCTAssertThrowsError(try WeightsImport.loadEncoder(path, into: VisionTransformer(shape: Self.shape()))) {
            XCTAssertTrue("\($0)".contains("wide.safetensors: pos_embed has shape [1, 16, 48], the config's model expects [1, 16, 32]"), "\($0)")
        }
        // The right shapes, but positions of a 5x5 grid: they give it away.
        let model = JEPATrainer(shape: Self.shape(), loss: .smoothL1, seed: 3)
        let moved = "\(dir)/moved.safetensors"
        var tensors = OfficialLayout.encoder(model.targetEncoder).map { SafeTensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values) }
        tensors[0] = SafeTensorsWriter.Tensor(name: "pos_embed", shape: [1, 16, 32],
                                              values: PositionalEmbedding.sinCos2D(dim: 32, gridSize: 5).prefix(16 * 32).map { $0 })
        try SafeTensorsWriter.write(tensors, to: moved)
        XCTAssertThrowsError(try WeightsImport.loadEncoder(moved, into: VisionTransformer(shape: Self.shape()))) {
            XCTAssertTrue("\($0)".contains("pos_embed differs from the 2-D sin-cos positions"), "\($0)")
        }
        // A tensor the model lacks, and one it needs.
        let extra = "\(dir)/extra.safetensors"
        try SafeTensorsWriter.write(tensors.dropFirst().map { $0 } + [SafeTensorsWriter.Tensor(name: "head.weight", shape: [2], values: [0, 0])],
                                    to: extra)
        XCTAssertThrowsError(try WeightsImport.loadEncoder(extra, into: VisionTransformer(shape: Self.shape()))) {
            XCTAssertTrue("\($0)".contains("extra.safetensors: lacks pos_embed"), "\($0)")
        }
        let leftover = "\(dir)/leftover.safetensors"
        try SafeTensorsWriter.write(OfficialLayout.encoder(model.targetEncoder).map {
            SafeTensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values)
        } + [SafeTensorsWriter.Tensor(name: "head.weight", shape: [2], values: [0, 0])], to: leftover)
        XCTAssertThrowsError(try WeightsImport.loadEncoder(leftover, into: VisionTransformer(shape: Self.shape()))) {
            XCTAssertTrue("\($0)".contains("head.weight is not a tensor of the config's model"), "\($0)")
        }
    }
}
