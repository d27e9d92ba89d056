import Foundation
import XCTest
@testable import Benchmarks
@testable import Pipeline
@testable import Preparation

/// `PretrainBench --alternate-bf16`: both precisions from the same weights on
/// the same steps, and the ratios it prints.
final class PrecisionComparisonTests: XCTestCase {
    static let fashion = "/usr/share/datasets/fashion-mnist"
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    func testBothPrecisionsStartFromTheSameWeightsAndTakeTheSameSteps() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.fashion), "dataset-fashion-mnist missing")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = ArtifactStore(root: dir)
        let cfg = try PipelineConfig.load(path: "\(Self.root)/pipelines/smoke.yaml",
                                          overrides: ["data.batch_size=8", "meta.embed_dim=32", "meta.depth=1",
                                                      "meta.pred_emb_dim=16", "meta.pred_depth=1"])
        _ = try PrepareStage.run(cfg, store: store)
        let r = try PrecisionComparison.run(cfg, store: store, rounds: 3, warmup: 1)
        XCTAssertEqual(r.float32Seconds.count, 3)
        XCTAssertEqual(r.bfloat16Seconds.count, 3)
        XCTAssertEqual(r.float32Losses.count, 4, "warm-up and timed steps")
        XCTAssertEqual(r.bfloat16Losses.count, 4)
        XCTAssertEqual(r.sgemmSamples.count, 3, "one sample per round")
        // The first step's loss: the same weights and batch, so it differs by
        // bf16's rounding alone; but it differs (the second model is bf16).
        let first = abs(r.bfloat16Losses[0] - r.float32Losses[0]) / r.float32Losses[0]
        XCTAssertGreaterThan(first, 0, "the bfloat16 model rounds its operands")
        XCTAssertLessThan(first, 0.01, "same initial weights, same batch and masks")
        // Its float32 model takes the very steps of `make bench` (same batches, masks and schedules).
        let alone = try PretrainBench.run(cfg, store: store, steps: 3, warmup: 1)
        XCTAssertEqual(alone.losses, r.float32Losses)
        let text = PrecisionComparison.describe(r, config: cfg).joined(separator: "\n")
        XCTAssertTrue(text.contains("bfloat16 / float32 images/s:"), text)
        XCTAssertTrue(text.contains("sgemm 1024^3"), text)
    }

    func testRatiosAreFloat32TimeOverBfloat16TimeAndTheLossGapCountsTimedStepsOnly() {
        let r = PrecisionComparison.Result(
            batch: 4, warmup: 1, float32Seconds: [3, 2, 8], bfloat16Seconds: [2, 2, 1],
            float32Losses: [10, 1, 2, 4], bfloat16Losses: [20, 1.1, 2, 3], sgemmSamples: [1, 2, 3])
        XCTAssertEqual(r.rounds, 3)
        XCTAssertEqual(r.roundRatios, [1.5, 1, 8])
        XCTAssertEqual(r.medianRatio, 3.0 / 2.0, "median float32 step 3 s over median bf16 step 2 s")
        XCTAssertEqual(r.largestRelativeLossDifference, 0.25, accuracy: 1e-12, "the warm-up step's 100% is not counted")
    }
}
