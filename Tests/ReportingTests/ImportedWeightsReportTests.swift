import Foundation
import XCTest
@testable import Pipeline
@testable import Preparation
@testable import Pretraining
@testable import Probing
@testable import Reporting

/// Imported weights through Probe and Report: a run of no training step
/// (meta.init_from, optimization.epochs 0) has an empty log and no mask
/// figure, and the report says what the I-JEPA row measures.
final class ImportedWeightsReportTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: ReportStageTests.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("imported-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testReportOfImportedWeightsNamesTheFileAndShowsNoTraining() throws {
        let store = ArtifactStore(root: "\(dir)/artifacts")
        let trainedConfig = try ReportStageTests.config(["logging.eval_every=0"])
        _ = try PrepareStage.run(trainedConfig, store: store)
        _ = try PretrainStage.run(trainedConfig, store: store)
        let weights = "\(dir)/encoder.safetensors"
        try PretrainStage.export(trainedConfig, store: store, to: weights, state: false)

        let cfg = try ReportStageTests.config(["logging.eval_every=0", "meta.init_from=\(weights)", "optimization.epochs=0"])
        let pretrained = try PretrainStage.run(cfg, store: store)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(pretrained.directory)/masks.png"), "no step, no masks")
        _ = try ProbeStage.run(cfg, store: store)
        let report = try ReportStage.run(cfg, store: store)
        let md = try String(contentsOfFile: "\(report.directory)/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("probes the weights of \(weights)") && md.contains("as they are: no training step ran here"), md)
        XCTAssertFalse(md.contains("masks.png"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(report.directory)/results.csv"))
    }
}
