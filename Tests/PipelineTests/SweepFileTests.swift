import Foundation
import XCTest
@testable import Pipeline

final class SweepFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "data:\n  root_path: /tmp\n  image_folder: x\n  crop_size: 28\nmask:\n  patch_size: 4\n  min_keep: 4\n  num_pred_masks: 2\n"
            .write(toFile: "\(dir)/base.yaml", atomically: true, encoding: .utf8)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func load(_ text: String) throws -> SweepFile {
        try text.write(toFile: "\(dir)/s.yaml", atomically: true, encoding: .utf8)
        return try SweepFile.load(path: "\(dir)/s.yaml")
    }

    func testProductOfAxesInFileOrderWithFixedOverrides() throws {
        let s = try load("""
            pipeline: base.yaml
            set:
              optimization.epochs: 2
            sweep:
              mask.pred_mask_scale: [[0.15, 0.2], [0.2, 0.3]]
              mask.num_pred_masks: [1, 2, 4]
            """)
        XCTAssertEqual(s.name, "s")
        XCTAssertEqual(s.variantCount, 6)
        XCTAssertEqual(s.label(0), "mask.pred_mask_scale=[0.15,0.2] mask.num_pred_masks=1")
        XCTAssertEqual(s.label(5), "mask.pred_mask_scale=[0.2,0.3] mask.num_pred_masks=4")
        let c = try s.config(variant: 4)
        XCTAssertEqual(c.values["mask.num_pred_masks"], .int(2))
        XCTAssertEqual(c.values["mask.pred_mask_scale"]?.canonical, "[0.2,0.3]")
        XCTAssertEqual(c.values["optimization.epochs"], .int(2))
        XCTAssertEqual(c.values["data.crop_size"], .int(28), "the rest comes from the base pipeline")
        XCTAssertEqual(Set((0..<6).map(s.label)).count, 6)
        XCTAssertThrowsError(try s.config(variant: 6)) { XCTAssertTrue("\($0)".contains("variant 6"), "\($0)") }
        // --set on top of a sweep: applied to every variant, but never to a swept key.
        XCTAssertEqual(try s.config(variant: 1, extra: ["optimization.lr=0.5"]).values["optimization.lr"], .double(0.5))
        XCTAssertThrowsError(try s.config(variant: 1, extra: ["mask.num_pred_masks=3"])) {
            XCTAssertTrue("\($0)".contains("mask.num_pred_masks") && "\($0)".contains("sweeps this key"), "\($0)")
        }
    }

    func testMistakesAreNamed() throws {
        XCTAssertThrowsError(try load("sweep:\n  mask.num_pred_masks: [1]\n")) { XCTAssertTrue("\($0)".contains("pipeline"), "\($0)") }
        XCTAssertThrowsError(try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: []\n")) {
            XCTAssertTrue("\($0)".contains("non-empty"), "\($0)")
        }
        XCTAssertThrowsError(try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 1]\n")) {
            XCTAssertTrue("\($0)".contains("repeat"), "\($0)")
        }
        XCTAssertThrowsError(try load("pipeline: base.yaml\nsweeps:\n  mask.num_pred_masks: [1]\n")) {
            XCTAssertTrue("\($0)".contains("unknown key 'sweeps'"), "\($0)")
        }
        XCTAssertThrowsError(try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 0]\n")) {
            XCTAssertTrue("\($0)".contains("variant 1") && "\($0)".contains("mask.num_pred_masks"), "\($0)")
        }
        XCTAssertThrowsError(try load("pipeline: missing.yaml\nsweep:\n  mask.num_pred_masks: [1]\n")) {
            XCTAssertTrue("\($0)".contains("missing.yaml"), "\($0)")
        }
    }

    // seeds: and reference: (replicates of every variant, the seed in every
    // random stream's key, the variant the others are compared with).

    func testEachVariantRunsOncePerSeedWithTheSeedInMetaAndProbe() throws {
        let s = try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 2]\nseeds: [0, 3, 7]\n")
        XCTAssertEqual(s.variantCount, 2)
        XCTAssertEqual(s.runs.map(\.name), ["0-0", "0-3", "0-7", "1-0", "1-3", "1-7"])
        let c = try s.config(variant: 1, seed: 3)
        XCTAssertEqual(c.values["meta.seed"], .int(3))
        XCTAssertEqual(c.values["probe.seed"], .int(3))
        XCTAssertEqual(c.values["mask.num_pred_masks"], .int(2))
        XCTAssertThrowsError(try s.config(variant: 0)) { XCTAssertTrue("\($0)".contains("--seed"), "\($0)") }
        XCTAssertThrowsError(try s.config(variant: 0, seed: 4)) { XCTAssertTrue("\($0)".contains("seed 4 is not one of"), "\($0)") }
        XCTAssertThrowsError(try s.config(variant: 0, seed: 3, extra: ["meta.seed=5"])) {
            XCTAssertTrue("\($0)".contains("meta.seed"), "\($0)")
        }
        // --seeds replaces the file's seeds.
        XCTAssertEqual(try s.replicated([5]).runs.map(\.name), ["0-5", "1-5"])
        XCTAssertEqual(try s.replicated(nil).runs.count, 6)
    }

    func testWithoutSeedsARunIsItsVariantAtThePipelinesSeeds() throws {
        let s = try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 2]\n")
        XCTAssertEqual(s.runs.map(\.name), ["0", "1"])
        XCTAssertEqual(try s.config(variant: 0).values["meta.seed"], .int(0))
        // Seed 0 as a replicate is the unseeded run: the same values, so the same keys.
        let seeded = try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 2]\nseeds: [0, 1]\n")
        XCTAssertEqual(try seeded.config(variant: 1, seed: 0).values, try s.config(variant: 1).values)
    }

    func testSeedsAloneReplicateThePipeline() throws {
        let s = try load("pipeline: base.yaml\nseeds: [0, 1, 2, 3, 4]\n")
        XCTAssertEqual(s.variantCount, 1)
        XCTAssertEqual(s.runs.count, 5)
        XCTAssertEqual(s.label(0), "")
        XCTAssertEqual(s.reference, 0, "the only variant is the base pipeline itself")
        let r = try SweepFile.replicates(of: "\(dir)/base.yaml", seeds: [2, 4])
        XCTAssertEqual(r.runs.map(\.name), ["0-2", "0-4"])
        XCTAssertEqual(try r.config(variant: 0, seed: 4).values["probe.seed"], .int(4))
    }

    func testReferenceIsNamedOrThePipelinesOwnValue() throws {
        XCTAssertEqual(try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 2, 4]\n").reference, 1,
                       "base.yaml has 2 target blocks")
        XCTAssertNil(try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 4]\n").reference)
        let named = try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 4]\nreference: {mask.num_pred_masks: 4}\n")
        XCTAssertEqual(named.reference, 1)
        let two = try load("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 4]\n  optimization.lr: [0.1, 0.2]\nreference: {optimization.lr: 0.2, mask.num_pred_masks: 4}\n")
        XCTAssertEqual(two.reference, 3)
    }

    func testSeedAndReferenceMistakesAreNamed() throws {
        let cases: [(String, String)] = [
            ("pipeline: base.yaml\n", "needs sweep:"),
            ("pipeline: base.yaml\nseeds: [0, 0]\n", "seeds repeat"),
            ("pipeline: base.yaml\nseeds: [-1]\n", "-1 is negative"),
            ("pipeline: base.yaml\nseeds: [0.5]\n", "seeds: must be a list of non-negative integers"),
            ("pipeline: base.yaml\nseeds: []\n", "at least one seed"),
            ("pipeline: base.yaml\nset:\n  meta.seed: 3\nseeds: [0, 1]\n", "meta.seed is set or swept"),
            ("pipeline: base.yaml\nsweep:\n  probe.seed: [0, 1]\nseeds: [0, 1]\n", "probe.seed is set or swept"),
            ("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 4]\nreference: {mask.num_pred_masks: 3}\n", "is not a variant"),
            ("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 4]\nreference: {optimization.lr: 3}\n", "optimization.lr is not a swept key"),
            ("pipeline: base.yaml\nsweep:\n  mask.num_pred_masks: [1, 4]\nreference: 4\n", "reference: must map"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try load(text), text) { XCTAssertTrue("\($0)".contains(message), "\(text): \($0)") }
        }
    }
}
