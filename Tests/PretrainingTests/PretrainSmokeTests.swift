import Foundation
import Numerics
import Shards
import Training
import XCTest
import Evaluation
@testable import Pipeline
@testable import Preparation
@testable import Pretraining

/// Pretrain on the smoke pipeline (Fashion-MNIST cut to 512 images), shrunk
/// further so the debug build runs it in seconds.
final class PretrainSmokeTests: XCTestCase {
    static let fashion = "/usr/share/datasets/fashion-mnist"
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    // A peak lr of its own: 64 steps of a tiny model learn visibly at 1e-3, and the
    // test should not move when the default recipe's lr does.
    static let small = ["data.batch_size=16", "meta.embed_dim=32", "meta.depth=1", "meta.pred_emb_dim=16",
                        "meta.pred_depth=1", "optimization.epochs=2", "optimization.lr=0.001",
                        "logging.checkpoint_every=8"]

    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pretrain-\(UUID())").path
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func config(_ extra: [String] = []) throws -> PipelineConfig {
        try PipelineConfig.load(path: "\(Self.root)/pipelines/smoke.yaml", overrides: Self.small + extra)
    }

    func losses(_ logPath: String) throws -> [TrainingLogRow] {
        // Everything but the timing columns (ms per step, images/s).
        try TrainingLogRow.parse(String(contentsOfFile: logPath, encoding: .utf8), path: logPath).map { row in
            var r = row
            r.msPerStep = 0; r.imagesPerSecond = 0
            return r
        }
    }

    func testTrainsLossGoesDownAndResumeEqualsUninterrupted() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config()
        _ = try PrepareStage.run(cfg, store: store)
        let full = try PretrainStage.run(cfg, store: store)
        XCTAssertTrue(full.built)
        for f in ["checkpoint.h5", "log.csv", "masks.png", "manifest.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(full.directory)/\(f)"), f)
        }
        let curve = try curvePoints("\(full.directory)/eval.csv")
        XCTAssertEqual(curve.map { $0.split(separator: ",")[0] }, ["0", "16", "32", "48", "64"],
                       "every 0.5 epochs (16 steps) from the start to the end")
        let manifest = try JSON.parse(Data(contentsOf: URL(fileURLWithPath: "\(full.directory)/manifest.json")))
        XCTAssertEqual(manifest["provenance"]?["tools"]?["gemm_fingerprint"], .string(BFloat16Arithmetic.fingerprint(.float32)),
                       "which GEMM arithmetic made it")
        let rows = try losses("\(full.directory)/log.csv")
        XCTAssertEqual(rows.count, 64)
        let loss = rows.map(\.loss)
        let first = loss.prefix(8).reduce(0, +) / 8, last = loss.suffix(8).reduce(0, +) / 8
        XCTAssertLessThan(last, 0.8 * first, "loss goes down: \(first) -> \(last)")
        XCTAssertFalse(try PretrainStage.run(cfg, store: store).built, "second run is up to date")

        // Interrupted after 20 steps, resumed: the same log, step for step.
        let other = ArtifactStore(root: dir + "/b")
        _ = try PrepareStage.run(cfg, store: other)
        let partial = try PretrainStage.run(cfg, store: other, stopAfter: 20)
        XCTAssertFalse(partial.complete)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(partial.directory)/checkpoint.h5"))
        let resumed = try PretrainStage.run(cfg, store: other, resume: true)
        XCTAssertTrue(resumed.complete && resumed.built)
        XCTAssertEqual(resumed.key, full.key)
        XCTAssertEqual(try losses("\(resumed.directory)/log.csv"), rows)
        XCTAssertEqual(try curvePoints("\(resumed.directory)/eval.csv"), curve, "the resumed learning curve is the same")
    }

    /// A train split larger than data.buffer_mb is streamed: the log says
    /// so, an interrupted and resumed run gives the uninterrupted run's
    /// losses, and the order is not the in-memory one (so the streamed
    /// path is what ran).
    func testStreamedSplitResumesExactly() throws {
        // 512 images of 784 bytes (0.38 MiB) in 8 shards of one 64-image chunk, against a
        // 0.2 MiB buffer: windows of 133 images, so two chunks each.
        let streamed = ["prepare.shard_size=64", "logging.eval_every=0"]
        let cfg = try config(streamed + ["data.buffer_mb=0.2"])
        let store = ArtifactStore(root: dir)
        _ = try PrepareStage.run(cfg, store: store)
        let full = try PretrainStage.run(cfg, store: store)
        let rows = try losses("\(full.directory)/log.csv")
        XCTAssertEqual(rows.count, 64, "32 steps of 16 per epoch, as in memory")
        let other = ArtifactStore(root: dir + "/b")
        _ = try PrepareStage.run(cfg, store: other)
        XCTAssertFalse(try PretrainStage.run(cfg, store: other, stopAfter: 21).complete)
        // No flag: the same build's interrupted run continues by itself.
        let resumed = try PretrainStage.run(cfg, store: other)
        XCTAssertEqual(try losses("\(resumed.directory)/log.csv"), rows, "resumed mid-window, mid-epoch")
        let inMemory = try PretrainStage.run(try config(streamed), store: store)
        XCTAssertNotEqual(try losses("\(inMemory.directory)/log.csv").map(\.loss), rows.map(\.loss))
    }

    /// An interrupted run's checkpoint from another build is not reused
    /// silently: an error names both builds and both ways on; --resume
    /// continues it, --restart starts over from step 0.
    func testCheckpointOfAnotherBuildNeedsResumeOrRestart() throws {
        let cfg = try config(["logging.eval_every=0"])
        let store = ArtifactStore(root: dir)
        _ = try PrepareStage.run(cfg, store: store)
        XCTAssertFalse(try PretrainStage.run(cfg, store: store, stopAfter: 10, build: "1.0 (commit aaa)").complete)
        XCTAssertThrowsError(try PretrainStage.run(cfg, store: store, stopAfter: 2, build: "1.0 (commit bbb)")) {
            let m = "\($0)"
            XCTAssertTrue(m.contains("stopped at step 10") && m.contains("commit aaa") && m.contains("commit bbb")
                          && m.contains("--resume") && m.contains("--restart"), m)
        }
        let resumed = try PretrainStage.run(cfg, store: store, resume: true, stopAfter: 2, build: "1.0 (commit bbb)")
        XCTAssertFalse(resumed.complete)
        XCTAssertEqual(try Checkpoint.peek("\(resumed.directory)/checkpoint.h5").step, 12, "continued from step 10")
        XCTAssertEqual(try Checkpoint.peek("\(resumed.directory)/checkpoint.h5").build, "1.0 (commit bbb)")
        let restarted = try PretrainStage.run(cfg, store: store, restart: true, stopAfter: 3, build: "1.0 (commit ccc)")
        XCTAssertEqual(try Checkpoint.peek("\(restarted.directory)/checkpoint.h5").step, 3, "started over")
        XCTAssertEqual(try losses("\(restarted.directory)/log.csv").count, 3)
    }

    /// eval.csv rows without the timing column.
    func curvePoints(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map { row in
            row.split(separator: ",").prefix(3).joined(separator: ",")
        }
    }

    func testLearningCurveChangesNothingInTrainingNorInTheKey() throws {
        let on = try config(), off = try config(["logging.eval_every=0"])
        let a = ArtifactStore(root: dir + "/on"), b = ArtifactStore(root: dir + "/off")
        _ = try PrepareStage.run(on, store: a)
        _ = try PrepareStage.run(off, store: b)
        let withCurve = try PretrainStage.run(on, store: a), without = try PretrainStage.run(off, store: b)
        XCTAssertEqual(withCurve.key, without.key, "like checkpoint_every, the curve is outside the key")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(withCurve.directory)/eval.csv"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(without.directory)/eval.csv"))
        XCTAssertEqual(try losses("\(withCurve.directory)/log.csv"), try losses("\(without.directory)/log.csv"),
                       "evaluating changes nothing in training")
        let manifest = try JSON.parse(Data(contentsOf: URL(fileURLWithPath: "\(withCurve.directory)/manifest.json")))
        XCTAssertEqual(manifest["details"]?["learning_curve"]?["every_steps"], .int(16), "the manifest records how")
    }

    func testLearningCurveScoresAFixedHoldoutSampleAgainstTheRestOfTrain() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config(["logging.eval_queries=40", "logging.eval_bank=200"])
        let prepared = try PrepareStage.run(cfg, store: store)
        let options = PretrainOptions(cfg.settings)
        let shards = try PretrainStage.trainShards(store: store, prepareKey: prepared.key)
        let curve = try XCTUnwrap(try PretrainStage.learningCurve(options, shards: shards,
                                                                  itersPerEpoch: 32, holdImages: false))
        XCTAssertEqual(curve.every, 16)
        XCTAssertEqual(curve.queryCount, 40)
        XCTAssertEqual(curve.bankCount, 200)
        let train = try LabeledSplit(name: "train", shardPaths: shards)
        let (_, holdout) = LabelSampling.trainHoldout(labels: train.labels, classes: train.classCount,
                                                      fraction: 0.1, seed: 0)
        // Identify each sampled image by its bytes: queries come from the
        // probe's holdout, the bank from the rest.
        let sample = train.attributes.numPatches * train.attributes.patchDim
        let curveImages = try curve.images.rawSamples(Array(0..<curve.images.count))
        XCTAssertFalse(curve.images.isInMemory, "the curve reads its images from the shards")
        func image(_ s: LabeledSplit, _ i: Int) -> [UInt8] {
            s === curve.images ? Array(curveImages[(i * sample)..<((i + 1) * sample)])
                : Array(s.patches[(i * sample)..<((i + 1) * sample)])
        }
        let fromHoldout = Set(holdout.map { image(train, $0) })
        for i in 0..<curve.images.count {
            XCTAssertEqual(fromHoldout.contains(image(curve.images, i)), i < curve.queryCount, "image \(i)")
        }
        // Stratified: each class in proportion to its share of the holdout.
        var perClass = [Int](repeating: 0, count: train.classCount), inHoldout = perClass
        for l in curve.images.labels.prefix(40) { perClass[Int(l)] += 1 }
        for i in holdout { inHoldout[Int(train.labels[i])] += 1 }
        for c in 0..<train.classCount {
            XCTAssertEqual(Double(perClass[c]), 40 * Double(inHoldout[c]) / Double(holdout.count), accuracy: 1, "class \(c)")
        }
        let again = try XCTUnwrap(try PretrainStage.learningCurve(options, shards: shards,
                                                                  itersPerEpoch: 32, holdImages: false))
        XCTAssertEqual(try again.images.rawSamples(Array(0..<again.images.count)), curveImages, "the sample is fixed")
        // Held in memory (when the train split is), the same images in the same order.
        let held = try XCTUnwrap(try PretrainStage.learningCurve(options, shards: shards,
                                                                 itersPerEpoch: 32, holdImages: true))
        XCTAssertTrue(held.images.isInMemory)
        XCTAssertEqual(held.images.patches, curveImages)
        XCTAssertEqual(held.images.labels, curve.images.labels)
    }

    func testDivergingLossStopsNamingTheStep() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config(["optimization.lr=1e30", "optimization.start_lr=1e30"])
        _ = try PrepareStage.run(cfg, store: store)
        XCTAssertThrowsError(try PretrainStage.run(cfg, store: store)) { e in
            XCTAssertTrue("\(e)".contains("step ") && "\(e)".contains("loss is"), "\(e)")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain")) ?? []
        XCTAssertFalse(names.contains { !$0.hasPrefix(".") }, "no artifact: \(names)")
    }

    func testDebugStateAndMaskFigure() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config()
        _ = try PrepareStage.run(cfg, store: store)
        let path = "\(dir)/debug.h5"
        try PretrainStage.writeDebugState(cfg, store: store, to: path)
        let f = try HDF5File(path: path)
        XCTAssertEqual(try f.shape("input/patches"), [16, 49, 16])
        XCTAssertEqual(try f.shape("params/encoder/patch_embed.proj.weight"), [32, 1, 4, 4])
        XCTAssertEqual(try f.shape("grads/predictor/mask_token"), [1, 1, 16])
        // One row of target indices per target block of the pipeline.
        let targets = PretrainInputs(cfg.settings).maskSampler(grid: 7).numTargets
        XCTAssertEqual(try f.shape("input/tgt_idx").first, targets)
        let loss = try f.doubles("output/loss")[0]
        XCTAssertTrue(loss.isFinite && loss > 0)
        XCTAssertTrue(try f.floats("grads/encoder/blocks.0.attn.qkv.weight").contains { $0 != 0 })
        try PretrainStage.writeMaskFigure(cfg, store: store, count: 4, to: "\(dir)/masks.png")
        let png = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/masks.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }

    func testARunThatCannotFitInMemoryIsRefusedBeforeLoading() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config(["meta.embed_dim=8192", "meta.depth=128", "meta.num_heads=8", "meta.pred_emb_dim=64"])
        _ = try PrepareStage.run(cfg, store: store)
        XCTAssertThrowsError(try PretrainStage.run(cfg, store: store)) { e in
            XCTAssertTrue("\(e)".contains("pretrain needs about") && "\(e)".contains("weights and optimizer")
                          && "\(e)".contains("data.batch_size") && "\(e)".contains("data.buffer_mb"), "\(e)")
        }
        // The smoke model fits, with room to spare.
        let small = PretrainInputs(try config([]).settings)
        let estimate = MemoryEstimate(shape: small.shape(channels: 1, patchSize: 4, gridSize: 7), trainBytes: 512 * 784,
                                      batch: small.batchSize, targetBlocks: small.mask.numPredMasks)
        XCTAssertLessThan(estimate.total, 1_073_741_824)
        // The learning curve's features count, and its images (602 MB at 224 px) when they are held
        // (the train split is), not when they are read from the shards.
        let big = small.shape(channels: 3, patchSize: 16, gridSize: 14)
        let withCurve = MemoryEstimate(shape: big, trainBytes: 0, batch: 8, targetBlocks: 4, curveImages: 4000)
        let heldCurve = MemoryEstimate(shape: big, trainBytes: 0, batch: 8, targetBlocks: 4, curveImages: 4000,
                                       curveImageBytes: 150_528)
        let without = MemoryEstimate(shape: big, trainBytes: 0, batch: 8, targetBlocks: 4)
        XCTAssertEqual(withCurve.total - without.total, 4000 * 4 * Double(big.encoder.embedDim))
        XCTAssertEqual(heldCurve.total - withCurve.total, 4000 * 150_528)
        XCTAssertTrue(withCurve.summary.contains("learning-curve features"), withCurve.summary)
        // Two models side by side (make bench-bf16): each its weights, optimizer and activations; one batch.
        let two = MemoryEstimate(shape: big, trainBytes: 1000, batch: 8, targetBlocks: 4, models: 2)
        let one = MemoryEstimate(shape: big, trainBytes: 1000, batch: 8, targetBlocks: 4)
        XCTAssertEqual(two.model, 2 * one.model)
        XCTAssertEqual(two.activations - one.activations, one.activations - 4 * 2 * 8 * Double(big.numPatches * big.patchDim), accuracy: 1)
        XCTAssertEqual(two.data, one.data)
        XCTAssertTrue(two.summary.contains("activations of 2 models"), two.summary)
    }

    func testImpossibleMaskConfigIsAnErrorBeforeAnyStage() throws {
        // Target blocks of 6-9 patches on the 7x7 grid can never keep more than 10.
        XCTAssertThrowsError(try config(["mask.min_keep=10"])) { e in
            XCTAssertTrue("\(e)".contains("mask.pred_mask_scale") && "\(e)".contains("mask.min_keep (10)"), "\(e)")
        }
    }
}
