import Foundation
import XCTest
@testable import Pipeline

final class SweepFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "data:\n  root_path: /tmp\n  image_folder: x\n  crop_size: 28\nmask:\n  patch_size: 4\n  min_keep: 4\n"
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
}
