import Foundation
import SafeTensors
import Shards
import XCTest
@testable import Pipeline
@testable import Preparation
@testable import Pretraining

/// Weights leave a pipeline (`Pretrain --export`) and come back in
/// (`meta.init_from`): with 0 epochs the Pretrain artifact is exactly the
/// imported weights, keyed by the file's digest, ready for Probe.
final class ExportImportTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: PretrainSmokeTests.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID())").path
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func config(_ extra: [String]) throws -> PipelineConfig {
        try PipelineConfig.load(path: "\(PretrainSmokeTests.root)/pipelines/smoke.yaml",
                                overrides: PretrainSmokeTests.small + ["logging.eval_every=0", "optimization.epochs=1"] + extra)
    }

    func testExportedWeightsComeBackAsAZeroEpochArtifactIdenticalTensorForTensor() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config([])
        _ = try PrepareStage.run(cfg, store: store)
        let trained = try PretrainStage.run(cfg, store: store)
        let exported = "\(dir)/target.safetensors", state = "\(dir)/state.safetensors"
        try PretrainStage.export(cfg, store: store, to: exported, state: false)
        try PretrainStage.export(cfg, store: store, to: state, state: true)
        let meta = try SafeTensorsFile.read(path: state).metadata
        XCTAssertEqual(meta["content"], "training_state")
        XCTAssertEqual(meta["pretrain_key"], trained.key)
        XCTAssertNotNil(meta["adam_step"])

        // Back in, no training: the artifact holds the file's weights.
        let imported = try config(["meta.init_from=\(exported)", "optimization.epochs=0"])
        let out = try PretrainStage.run(imported, store: store)
        XCTAssertNotEqual(out.key, trained.key)
        let h5 = try HDF5File(path: "\(out.directory)/checkpoint.h5"), file = try SafeTensorsFile.read(path: exported)
        for name in file.names where name != "pos_embed" {
            XCTAssertEqual(try h5.floats("target_encoder/\(name)"), try file.floats(name), name)
            XCTAssertEqual(try h5.floats("encoder/\(name)"), try file.floats(name), "the context encoder starts from it too: \(name)")
        }
        // A training-state file restores all three modules, in an artifact of its own.
        let fromState = try PretrainStage.run(try config(["meta.init_from=\(state)", "optimization.epochs=0"]), store: store)
        XCTAssertNotEqual(fromState.key, out.key, "another file, another artifact")
        let trainedH5 = try HDF5File(path: "\(trained.directory)/checkpoint.h5"), stateH5 = try HDF5File(path: "\(fromState.directory)/checkpoint.h5")
        for name in ["predictor/predictor_proj.weight", "encoder/blocks.0.attn.qkv.weight", "target_encoder/norm.weight"] {
            XCTAssertEqual(try stateH5.floats(name), try trainedH5.floats(name), name)
        }
        // A file for another model: one line naming the tensor.
        XCTAssertThrowsError(try PretrainStage.run(try config(["meta.init_from=\(exported)", "optimization.epochs=0",
                                                                "meta.embed_dim=48"]), store: store)) {
            XCTAssertTrue("\($0)".contains("target.safetensors: pos_embed has shape"), "\($0)")
        }
    }

    func testMasksOfAZeroEpochConfigAreCheckedWhereTheyAreSampled() throws {
        let store = ArtifactStore(root: dir)
        // Target blocks of 6-9 patches on the 7x7 grid never keep more than 10: loadable with 0 epochs...
        let cfg = try config(["meta.init_from=x.safetensors", "optimization.epochs=0", "mask.min_keep=10"])
        _ = try PrepareStage.run(cfg, store: store)
        // ...but the mask figure and the debug state refuse instead of sampling forever.
        XCTAssertThrowsError(try PretrainStage.writeMaskFigure(cfg, store: store, count: 2, to: "\(dir)/m.png")) {
            XCTAssertTrue("\($0)".contains("mask.pred_mask_scale") && "\($0)".contains("never be kept"), "\($0)")
        }
        XCTAssertThrowsError(try PretrainStage.writeDebugState(cfg, store: store, to: "\(dir)/d.h5")) {
            XCTAssertTrue("\($0)".contains("mask.min_keep (10)"), "\($0)")
        }
    }

    func testInitFromAndReadCheckpointTogetherIsAConfigError() {
        XCTAssertThrowsError(try config(["meta.init_from=a.safetensors", "meta.read_checkpoint=b.h5"])) {
            XCTAssertTrue("\($0)".contains("meta.init_from: cannot be combined with meta.read_checkpoint"), "\($0)")
        }
    }
}
