import Foundation
import Numerics
import Shards
import Training
import XCTest
@testable import Pipeline
@testable import Preparation
@testable import Pretraining
@testable import Probing

/// Probe end to end on the smoke pipeline, shrunk so the debug build runs it
/// in seconds: every subject, classifier and label fraction gets a row.
final class ProbeStageTests: XCTestCase {
    static let fashion = "/usr/share/datasets/fashion-mnist"
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    static let small = ["data.batch_size=16", "meta.embed_dim=32", "meta.depth=4", "meta.pred_emb_dim=16",
                        "meta.pred_depth=1", "optimization.epochs=1", "probe.l2_grid=[1e-3, 1e-1]",
                        "probe.label_fractions=[0.1, 1.0]", "probe.max_iterations=200"]

    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("probe-\(UUID())").path
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func config(_ extra: [String] = []) throws -> PipelineConfig {
        try PipelineConfig.load(path: "\(Self.root)/pipelines/smoke.yaml", overrides: Self.small + extra)
    }

    func testEndToEndMetricsForEverySubjectAndReuse() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config()
        _ = try PrepareStage.run(cfg, store: store)
        XCTAssertThrowsError(try ProbeStage.run(cfg, store: store)) { e in
            XCTAssertTrue("\(e)".contains("pretrain artifact missing"), "\(e)")
        }
        _ = try PretrainStage.run(cfg, store: store)
        let out = try probe(cfg, store: store)
        XCTAssertTrue(out.built)
        for f in ["metrics.json", "metrics.csv", "manifest.json", "confusion/ijepa-linear-100pct.csv",
                  "confusion/pixels-knn-10pct.csv", "confusion/random_init-linear-10pct.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out.directory)/\(f)"), f)
        }
        let csv = try String(contentsOfFile: "\(out.directory)/metrics.csv", encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(csv[0], ProbeFiles.csvColumns)
        XCTAssertEqual(csv.count, 1 + 3 * 2 * 2, "3 subjects x 2 classifiers x 2 fractions")
        let top1 = csv[0].firstIndex(of: "top1")!
        for row in csv.dropFirst() {
            let acc = Double(row[top1])!
            // 10 balanced classes: chance is 10%, and ~50 labels suffice for well above it.
            XCTAssertGreaterThan(acc, 0.2, "\(row)")
            XCTAssertLessThanOrEqual(acc, 1)
        }
        let evalImages = out.metrics.evalImages
        XCTAssertEqual(evalImages, 256)
        let linear = try XCTUnwrap(out.metrics.subjects["ijepa"]?.results.first { $0.classifier == "linear" })
        XCTAssertEqual(linear.confusion.joined().reduce(0, +), evalImages)
        // What Report reads back is what Probe wrote.
        XCTAssertEqual(try ProbeStage.metrics(store: store, key: out.key), out.metrics)

        // Up to date; a changed probe setting keeps the pretrain artifact and
        // reuses the pixel baseline only when its inputs did not change.
        XCTAssertFalse(try ProbeStage.run(cfg, store: store).built)
        let other = try config(["probe.knn_k=5"])
        XCTAssertEqual(try PretrainStage.keyMaterial(other, store: store).key, try PretrainStage.keyMaterial(cfg, store: store).key)
        XCTAssertNotEqual(try ProbeStage.keyMaterial(other, store: store).key, out.key)

        // The encoders' features are cached per split: a probe-only change
        // extracts nothing, and the same features give the same linear probe.
        XCTAssertEqual(try featureArtifacts(store), 4, "I-JEPA and initial weights, train and val")
        let reprobed = try probe(other, store: store)
        XCTAssertTrue(reprobed.built)
        XCTAssertEqual(try featureArtifacts(store), 4, "no new extraction for a k-NN change")
        for subject in ["ijepa", "random_init"] {
            XCTAssertEqual(linearTop1(out.metrics, subject), linearTop1(reprobed.metrics, subject), subject)
            XCTAssertNotNil(out.metrics.subjects[subject]?.featureArtifacts)
            XCTAssertEqual(out.metrics.subjects[subject]?.featureArtifacts, reprobed.metrics.subjects[subject]?.featureArtifacts)
        }
        // Extraction batch size is not part of any key.
        XCTAssertEqual(try ProbeStage.keyMaterial(try config(["probe.batch_size=7"]), store: store).key, out.key)
    }

    func testHoldoutEvaluationNeverUsesVal() throws {
        let store = ArtifactStore(root: dir)
        let out = try prepareTrainAndProbe(try config(["probe.eval_split=holdout", "probe.features=last4"]), store: store)
        XCTAssertEqual(out.metrics.evalSplit, "holdout")
        let trainImages = out.metrics.trainImages, evalImages = out.metrics.evalImages
        XCTAssertEqual(trainImages + evalImages, 512, "the holdout is carved from the 512 train images")
        XCTAssertEqual(out.metrics.subjects["ijepa"]?.dim, 4 * 32, "last4 concatenates four blocks")
        XCTAssertEqual(try featureArtifacts(store), 2, "a holdout probe extracts train only")
        // Then the val split, as the protocol's final run does: train's features are reused.
        let final = try probe(try config(["probe.eval_split=val", "probe.features=last4"]), store: store)
        XCTAssertEqual(try featureArtifacts(store), 4, "val added, train reused")
        XCTAssertEqual(final.metrics.subjects["ijepa"]?.featureArtifacts?.first,
                       out.metrics.subjects["ijepa"]?.featureArtifacts?.first)
    }

    /// probe.baselines picks the subjects; probe.pixel_limit_mb turns the
    /// pixel baseline into a class-stratified sample that says so; the
    /// shared baseline artifacts keep their keys at the defaults.
    func testBaselinesAreAChoiceAndPixelsShrinkToTheirLimit() throws {
        let store = ArtifactStore(root: dir)
        let out = try prepareTrainAndProbe(try config(["probe.baselines=[pixels]", "probe.pixel_limit_mb=0.5"]),
                                           store: store)
        XCTAssertEqual(Set(out.metrics.subjects.keys), ["ijepa", "pixels"])
        // 512 train + 256 val images of 784 floats are 2.3 MiB; 0.5 MiB holds 167 of them.
        let pixels = try XCTUnwrap(out.metrics.subjects["pixels"])
        let note = try XCTUnwrap(pixels.note)
        XCTAssertTrue(note.contains("class-stratified sample of 111 of the 512 train images and 55 of the 256"), note)
        XCTAssertEqual(pixels.results.first { $0.classifier == "linear" && $0.labelFraction == 1 }?.trainImages, 111)
        XCTAssertEqual(out.metrics.subjects["ijepa"]?.results.first { $0.labelFraction == 1 }?.trainImages, 512)
        let none = try probe(try config(["probe.baselines=[]"]), store: store)
        XCTAssertEqual(Set(none.metrics.subjects.keys), ["ijepa"])
        XCTAssertNotEqual(none.key, out.key)
        XCTAssertThrowsError(try config(["probe.baselines=[pixels, colour]"])) { e in
            XCTAssertTrue("\(e)".contains("probe.baselines") && "\(e)".contains("'colour' is not one of"), "\(e)")
        }
        // Only non-default choices enter the keys: the default config's baseline keys are unchanged by the new keys.
        let defaults = try config()
        let pixelsKey = ProbeStage.baselineMaterial(.pixels, config: defaults, prepareKey: "p").key
        XCTAssertEqual(pixelsKey, ProbeStage.baselineMaterial(.pixels, config: try config(["probe.baselines=[pixels]"]),
                                                              prepareKey: "p").key)
        XCTAssertNotEqual(pixelsKey, ProbeStage.baselineMaterial(.pixels, config: try config(["probe.pixel_limit_mb=1"]),
                                                                 prepareKey: "p").key)

        // Images of more values than probe.pixel_dims are average-pooled patch by patch, and the report says so.
        let pooledConfig = try config(["probe.baselines=[pixels]", "probe.pixel_dims=196"])
        XCTAssertNotEqual(ProbeStage.baselineMaterial(.pixels, config: pooledConfig, prepareKey: "p").key, pixelsKey)
        let pooled = try XCTUnwrap(try probe(pooledConfig, store: store).metrics.subjects["pixels"])
        XCTAssertEqual(pooled.dim, 196, "49 patches of 4x4 pooled to 2x2")
        let pooledNote = try XCTUnwrap(pooled.note)
        XCTAssertTrue(pooledNote.contains("each 4x4 patch average-pooled to 2x2 (196 values per image instead of 784"), pooledNote)
        XCTAssertGreaterThan(pooled.results.first { $0.classifier == "linear" && $0.labelFraction == 1 }?.top1 ?? 0, 0.2)
    }

    /// The three stages in order: the probe's outcome.
    func prepareTrainAndProbe(_ cfg: PipelineConfig, store: ArtifactStore) throws -> Probed {
        _ = try PrepareStage.run(cfg, store: store)
        _ = try PretrainStage.run(cfg, store: store)
        return try probe(cfg, store: store)
    }

    func featureArtifacts(_ store: ArtifactStore) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "\(store.root)/\(FeatureArtifact.stage)").filter { !$0.hasPrefix(".") }.count
    }

    func linearTop1(_ metrics: ProbeMetrics, _ subject: String) -> [Double] {
        (metrics.subjects[subject]?.results ?? []).filter { $0.classifier == "linear" }.map(\.top1)
    }

    func testMismatchedCheckpointAndTruncatedShardAreNamed() throws {
        let store = ArtifactStore(root: dir)
        let cfg = try config()
        _ = try PrepareStage.run(cfg, store: store)
        let pre = try PretrainStage.run(cfg, store: store)
        // A checkpoint from another architecture under this key.
        let wide = ArtifactStore(root: dir + "/wide")
        let wcfg = try config(["meta.embed_dim=64"])
        _ = try PrepareStage.run(wcfg, store: wide)
        let w = try PretrainStage.run(wcfg, store: wide)
        let encoder = VisionTransformer(shape: JEPAShape(channels: 1, patchSize: 4, gridSize: 7,
                                                         encoder: PretrainInputs(cfg.settings).encoder,
                                                         predictorDim: 16, predictorDepth: 1))
        XCTAssertThrowsError(try Checkpoint.loadModule("target_encoder", into: encoder, from: "\(w.directory)/checkpoint.h5")) { e in
            XCTAssertTrue("\(e)".contains("architecture differs") && "\(e)".contains("checkpoint.h5"), "\(e)")
        }
        XCTAssertNoThrow(try Checkpoint.loadModule("target_encoder", into: encoder, from: "\(pre.directory)/checkpoint.h5"))

        // One byte of the checkpoint changed in place (same size): caught by its digest.
        let ckpt = "\(pre.directory)/checkpoint.h5"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: ckpt))
        let original = bytes
        bytes[bytes.count - 100] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: ckpt))
        XCTAssertThrowsError(try ProbeStage.run(cfg, store: store)) { e in
            XCTAssertTrue("\(e)".contains("checkpoint.h5") && "\(e)".contains("SHA-256"), "\(e)")
        }
        try original.write(to: URL(fileURLWithPath: ckpt))

        // A truncated val shard: the manifest check names it.
        let prepDir = try PrepareStage.run(cfg, store: store).directory
        let val = try FileManager.default.contentsOfDirectory(atPath: prepDir).first { $0.hasPrefix("val-") }!
        let h = FileHandle(forUpdatingAtPath: "\(prepDir)/\(val)")!
        try h.truncate(atOffset: 1000)
        try h.close()
        XCTAssertThrowsError(try ProbeStage.run(cfg, store: store)) { e in
            XCTAssertTrue("\(e)".contains(val), "\(e)")
        }
    }

    /// A probe run's outcome with the metrics its artifact holds.
    struct Probed {
        let key: String
        let directory: String
        let built: Bool
        let metrics: ProbeMetrics
    }

    func probe(_ cfg: PipelineConfig, store: ArtifactStore) throws -> Probed {
        let outcome = try ProbeStage.run(cfg, store: store)
        return Probed(key: outcome.key, directory: outcome.directory, built: outcome.built, metrics: try ProbeStage.metrics(store: store, key: outcome.key))
    }
}

/// Probe's memory estimate: features of every extracted image plus the
/// probes' copies, the pixel baseline capped at probe.pixel_limit_mb, and a
/// batch through the encoder.
final class ProbeMemoryEstimateTests: XCTestCase {
    func testFeaturesPixelsCappedAtTheLimitAndABatch() throws {
        let cfg = try PipelineConfig.load(path: "\(ProbeStageTests.root)/pipelines/smoke.yaml",
                                          overrides: ["probe.pixel_limit_mb=1"])
        let settings = ProbeInputs(cfg.settings)
        let shape = PretrainInputs(cfg.settings).shape(channels: 1, patchSize: 4, gridSize: 7)
        let e = ProbeMemoryEstimate(shape: shape, featureDim: 64, pixelDim: 784, images: 70000, probed: 70000, classes: 10,
                                    settings: settings, batchSize: 256)
        // Features of every image, the probes' rows, a standardised copy and the fit/held-out split; the solver's 46 vectors of Double.
        let solver64: Double = 8 * 46 * 10 * 65, solver784: Double = 8 * 46 * 10 * 785
        XCTAssertEqual(e.features, 4 * 64 * 280_000 + solver64)
        XCTAssertEqual(e.pixels, 3 * 1_048_576 + solver784, "70000 images of 784 floats would be 210 MiB; the limit caps them")
        XCTAssertGreaterThan(e.extraction, 4.0 * 256 * 49 * Double(8 * 64 + 2 * 256))
        XCTAssertEqual(e.total, max(e.features, e.pixels) + e.extraction + MachineMemory.overhead)
        let none = try PipelineConfig.load(path: "\(ProbeStageTests.root)/pipelines/smoke.yaml", overrides: ["probe.baselines=[]"])
        XCTAssertEqual(ProbeMemoryEstimate(shape: shape, featureDim: 64, pixelDim: 784, images: 10, probed: 10, classes: 10,
                                           settings: ProbeInputs(none.settings), batchSize: 1).pixels, 0)
    }
}

final class PixelPoolingTests: XCTestCase {
    func testEachPatchBecomesTheMeansOfItsBlocks() {
        // 2 patches of 1 channel, 4x4 each, pooled by 2: every 2x2 block to its mean.
        let p = PixelPooling(patches: 2, channels: 1, patchSize: 4, factor: 2)
        let x = (0..<32).map(Float.init)
        var y = [Float](repeating: -1, count: p.outputDim)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { p.pool(xb.baseAddress!, into: $0.baseAddress!) } }
        XCTAssertEqual(y, [2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5])
    }

    func testTheSmallestFactorThatFitsTheBudget() {
        // 224 px RGB with patch 16: 150,528 values; 8 is the smallest divisor of 16 that fits 4096.
        let big = PixelPooling.fitting(patches: 196, channels: 3, patchSize: 16, budget: 4096)
        XCTAssertEqual(big.factor, 8)
        XCTAssertEqual(big.outputDim, 2352)
        XCTAssertNotNil(big.note)
        let small = PixelPooling.fitting(patches: 49, channels: 1, patchSize: 4, budget: 4096)
        XCTAssertEqual(small.factor, 1, "Fashion-MNIST's 784 values fit: nothing pooled")
        XCTAssertNil(small.note)
        XCTAssertEqual(PixelPooling.fitting(patches: 196, channels: 3, patchSize: 16, budget: 10).factor, 16,
                       "no factor fits: one mean per patch and channel")
    }
}
