import Foundation
import XCTest
@testable import Pipeline
@testable import Preparation
@testable import Pretraining
@testable import Probing
@testable import Reporting
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The whole pipeline on the smoke data, shrunk for the debug build: the
/// report's files, reuse of unchanged stages, and a two-variant sweep.
final class ReportStageTests: XCTestCase {
    static let fashion = "/usr/share/datasets/fashion-mnist"
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    static let small = ["data.batch_size": "16", "meta.embed_dim": "32", "meta.depth": "2", "meta.pred_emb_dim": "16",
                        "meta.pred_depth": "1", "optimization.epochs": "1", "probe.l2_grid": "[1e-3, 1e-1]",
                        "probe.label_fractions": "[0.1, 1.0]", "probe.max_iterations": "100"]

    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The smoke pipeline shrunk for the debug build (other report tests use it too).
    static func config(_ extra: [String] = []) throws -> PipelineConfig {
        try PipelineConfig.load(path: "\(root)/pipelines/smoke.yaml",
                                overrides: small.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + extra)
    }
    func config(_ extra: [String] = []) throws -> PipelineConfig { try Self.config(extra) }

    /// Prepare, pretrain, probe, report; which of them built.
    func all(_ cfg: PipelineConfig, _ store: ArtifactStore) throws -> (built: [Bool], report: String) {
        let a = try PrepareStage.run(cfg, store: store).built
        let b = try PretrainStage.run(cfg, store: store).built
        let c = try ProbeStage.run(cfg, store: store).built
        let r = try ReportStage.run(cfg, store: store)
        return ([a, b, c, r.built], r.directory)
    }

    func assertWellFormedSVG(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let parser = XMLParser(data: data)
        XCTAssertTrue(parser.parse(), "\(path): \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("<svg"), file: file, line: line)
        XCTAssertFalse(text.lowercased().contains("nan"), "\(path) has NaN", file: file, line: line)
    }

    /// With fewer baselines the answer compares with those it has, the
    /// figures stay free of NaN, and the pixel sample's note is shown.
    func testReportWithOneBaselineAndWithNone() throws {
        let store = ArtifactStore(root: dir)
        let one = try all(try config(["probe.baselines=[initial_weights]"]), store)
        let md = try String(contentsOfFile: "\(one.report)/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("for the same encoder at its initial weights (") && md.contains("raw pixels not probed"), md)
        XCTAssertTrue(md.contains("Pretraining improved on the untrained encoder.") || md.contains("Pretraining did not help"), md)
        for f in try FileManager.default.contentsOfDirectory(atPath: one.report) where f.hasSuffix(".svg") {
            try assertWellFormedSVG("\(one.report)/\(f)")
        }
        let none = try all(try config(["probe.baselines=[]"]), store)
        let text = try String(contentsOfFile: "\(none.report)/report.md", encoding: .utf8)
        XCTAssertTrue(text.contains("No baseline was probed (probe.baselines is empty)"), text)
        let sampled = try all(try config(["probe.pixel_limit_mb=0.5"]), store)
        XCTAssertTrue(try String(contentsOfFile: "\(sampled.report)/report.md", encoding: .utf8)
            .contains("*Note: Raw pixels: a class-stratified sample of"))
    }

    func csvRows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    func testReportFilesAndOnlyChangedStagesRerun() throws {
        let store = ArtifactStore(root: dir + "/artifacts")
        let cfg = try config()
        let first = try all(cfg, store)
        XCTAssertEqual(first.built, [true, true, true, true])
        for f in ["report.md", "results.csv", "loss.svg", "learning-curve.svg", "collapse.svg", "schedules.svg", "masks.png",
                  "manifest.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(first.report)/\(f)"), f)
        }
        for f in ["loss.svg", "learning-curve.svg", "collapse.svg", "schedules.svg"] {
            try assertWellFormedSVG("\(first.report)/\(f)")
        }
        let md = try String(contentsOfFile: "\(first.report)/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("**Answer.**"), md)
        XCTAssertTrue(md.contains("| **I-JEPA target encoder** |") && md.contains("| raw pixels |"), md)
        XCTAssertTrue(md.contains("![Pretraining loss](loss.svg)"), md)
        XCTAssertTrue(md.contains("](learning-curve.svg)") && md.contains("Learning curve (figure below)"), md)
        let rows = try csvRows("\(first.report)/results.csv")
        XCTAssertEqual(rows.count, 2)
        for c in ["variant", "probe_key", "ijepa_linear_100pct", "pixels_knn_10pct", "random_init_linear_10pct",
                  "loss_last", "feature_std_last", "curve_knn_first", "curve_knn_last", "pretrain_images_per_s",
                  "pretrain_wall_s"] {
            XCTAssertTrue(rows[0].contains(c), c)
        }
        XCTAssertEqual(rows[1].count, rows[0].count)
        let acc = Double(rows[1][rows[0].firstIndex(of: "ijepa_linear_100pct")!])!
        XCTAssertTrue(acc > 0.1 && acc <= 1, "\(acc)")

        XCTAssertEqual(try all(cfg, store).built, [false, false, false, false], "second run does no work")
        // A probe setting reruns probe and report only.
        XCTAssertEqual(try all(try config(["probe.knn_k=5"]), store).built, [false, false, true, true])
        // A mask setting reruns pretrain, probe, report; prepare and the
        // pixel and initial-weight baselines are reused.
        let before = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/artifacts/probe-pixels").count
        XCTAssertEqual(try all(try config(["mask.num_pred_masks=3"]), store).built, [false, true, true, true])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/artifacts/probe-pixels").count, before)
        // A comment in the YAML changes no key.
        let text = try String(contentsOfFile: "\(Self.root)/pipelines/smoke.yaml", encoding: .utf8)
            .replacingOccurrences(of: "extends: default.yaml", with: "extends: \(Self.root)/pipelines/default.yaml")
        try ("# a new comment\n" + text).write(toFile: "\(dir)/commented.yaml", atomically: true, encoding: .utf8)
        let commented = try PipelineConfig.load(path: "\(dir)/commented.yaml",
                                                overrides: Self.small.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        XCTAssertEqual(try all(commented, store).built, [false, false, false, false])
    }

    func testTwoVariantSweepSharesPrepareAndTabulatesBoth() throws {
        let sweepPath = "\(dir)/sweep.yaml"
        var text = "pipeline: \(Self.root)/pipelines/smoke.yaml\nset:\n"
        for (k, v) in Self.small.sorted(by: { $0.key < $1.key }) { text += "  \(k): \(v)\n" }
        text += "sweep:\n  mask.pred_mask_scale: [[0.15, 0.2], [0.2, 0.3]]\n"
        try text.write(toFile: sweepPath, atomically: true, encoding: .utf8)
        let sweep = try SweepFile.load(path: sweepPath)
        XCTAssertEqual(sweep.variantCount, 2)
        let store = ArtifactStore(root: dir + "/artifacts")
        for i in 0..<2 { _ = try all(try sweep.config(variant: i), store) }
        let count = { (stage: String) in
            try FileManager.default.contentsOfDirectory(atPath: "\(self.dir)/artifacts/\(stage)").filter { !$0.hasPrefix(".") }.count
        }
        XCTAssertEqual(try count("prepare"), 1, "one shared prepare artifact")
        XCTAssertEqual(try count("pretrain"), 2)
        XCTAssertEqual(try count("probe-random"), 1, "the initial-weight baseline does not depend on masks")
        let out = try ReportStage.run(sweep: sweep, store: store)
        let rows = try csvRows("\(out.directory)/results.csv")
        XCTAssertEqual(rows.count, 3, "header and one row per variant")
        XCTAssertTrue(rows[0].contains("mask.pred_mask_scale"), "\(rows[0])")
        let md = try String(contentsOfFile: "\(out.directory)/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("## Ablation: sweep"), md)
        XCTAssertTrue(md.contains("| `[0.15,0.2]` |") && md.contains("| `[0.2,0.3]` |"), md)
        XCTAssertTrue(md.contains(" curve k-NN |"), "the ablation table has the curve's last point")
        try assertWellFormedSVG("\(out.directory)/probe-vs-sweep.svg")
        let curves = try String(contentsOfFile: "\(out.directory)/learning-curve.svg", encoding: .utf8)
        XCTAssertTrue(curves.contains("[0.15,0.2]") && curves.contains("[0.2,0.3]"), "one curve per variant")
        XCTAssertFalse(try ReportStage.run(sweep: sweep, store: store).built)
    }

    func testSweepFileErrorsNameTheKey() throws {
        let path = "\(dir)/bad.yaml"
        try "pipeline: \(Self.root)/pipelines/smoke.yaml\nsweep:\n  mask.pred_mask_scal: [[0.1, 0.2]]\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepFile.load(path: path)) { XCTAssertTrue("\($0)".contains("mask.pred_mask_scal"), "\($0)") }
        try "pipeline: \(Self.root)/pipelines/smoke.yaml\nsweep:\n  optimization.lr: [0.001, -1]\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SweepFile.load(path: path)) { XCTAssertTrue("\($0)".contains("variant 1") && "\($0)".contains("optimization.lr"), "\($0)") }
    }
}

/// `make verify`: every artifact re-hashed; an edited file is named.
final class ArtifactVerifyTests: XCTestCase {
    func testEditedShardIsReportedAndMissingArtifactsListed() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: ReportStageTests.fashion), "dataset-fashion-mnist missing")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = ArtifactStore(root: dir)
        let cfg = try PipelineConfig.load(path: "\(ReportStageTests.root)/pipelines/smoke.yaml",
                                          overrides: ReportStageTests.small.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        let prep = try PrepareStage.run(cfg, store: store)
        var result = try ArtifactVerify.check(cfg, store: store)
        XCTAssertEqual(result.first?.stage, "prepare")
        if case .ok(let n)? = result.first?.status { XCTAssertGreaterThan(n, 1) } else { XCTFail("\(result)") }
        XCTAssertTrue(result.dropFirst().allSatisfy { $0.status == .notBuilt }, "\(result)")
        // Same size, one byte different: only a re-hash can tell.
        let shard = try FileManager.default.contentsOfDirectory(atPath: prep.directory).first { $0.hasPrefix("train-") }!
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(prep.directory)/\(shard)"))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: "\(prep.directory)/\(shard)"))
        result = try ArtifactVerify.check(cfg, store: store)
        guard case .damaged(let why)? = result.first?.status else { return XCTFail("\(result)") }
        XCTAssertTrue(why.contains(shard) && why.contains("SHA-256"), why)
    }
}
