import Foundation
import XCTest
@testable import Pipeline
@testable import Preparation
@testable import Pretraining
@testable import Probing
@testable import Reporting

/// A sweep over seeds end to end on the shrunk smoke pipeline: baselines
/// shared per seed, and a report whose means, intervals and paired
/// differences are the ones computed here from its own per-seed rows.
final class ReplicateReportTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: ReportStageTests.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("replicates-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func sweep(_ tail: String) throws -> SweepFile {
        var text = "pipeline: \(ReportStageTests.root)/pipelines/smoke.yaml\nset:\n"
        for (k, v) in ReportStageTests.small.sorted(by: { $0.key < $1.key }) { text += "  \(k): \(v)\n" }
        try (text + tail).write(toFile: "\(dir)/seeds.yaml", atomically: true, encoding: .utf8)
        return try SweepFile.load(path: "\(dir)/seeds.yaml")
    }

    func run(_ s: SweepFile, _ store: ArtifactStore) throws {
        for r in s.runs {
            let c = try s.config(r)
            _ = try PrepareStage.run(c, store: store)
            _ = try PretrainStage.run(c, store: store)
            _ = try ProbeStage.run(c, store: store)
        }
    }

    func testTwoVariantsThreeSeedsGiveMeansIntervalsAndPairedDifferences() throws {
        let s = try sweep("sweep:\n  mask.num_pred_masks: [1, 2]\nseeds: [0, 1, 2]\nreference: {mask.num_pred_masks: 2}\n")
        let store = ArtifactStore(root: "\(dir)/artifacts")
        try run(s, store)
        let count = { (stage: String) in
            try FileManager.default.contentsOfDirectory(atPath: "\(self.dir)/artifacts/\(stage)").filter { !$0.hasPrefix(".") }.count
        }
        XCTAssertEqual(try count("prepare"), 1)
        XCTAssertEqual(try count("pretrain"), 6)
        XCTAssertEqual(try count("probe-random"), 3, "the initial-weights baseline once per seed, not per variant")
        XCTAssertEqual(try count("probe-pixels"), 3, "the pixel baseline once per seed (its label sample)")

        let out = try ReportStage.run(sweep: s, store: store)
        let rows = CSV.rows(try String(contentsOfFile: "\(out.directory)/results.csv", encoding: .utf8))
        let header = rows[0], col = { (name: String) in header.firstIndex(of: name)! }
        let runs = rows.filter { $0[col("row")] == "run" }
        XCTAssertEqual(runs.count, 6)
        func perSeed(_ variant: Int) -> [Int: Double] {
            var out: [Int: Double] = [:]
            for r in runs where r[col("variant")] == "\(variant)" { out[Int(r[col("seed")])!] = Double(r[col("ijepa_linear_100pct")])! }
            return out
        }
        func stat(_ row: String, _ variant: Int, _ column: String = "ijepa_linear_100pct") -> Double {
            Double(rows.first { $0[col("row")] == row && $0[col("variant")] == "\(variant)" }![col(column)])!
        }
        let v0 = perSeed(0), v1 = perSeed(1)
        XCTAssertEqual(v0.keys.sorted(), [0, 1, 2])
        // By hand: mean, sample sd, t(0.975, 2) = 4.302652730.
        let xs = [v0[0]!, v0[1]!, v0[2]!], mean = xs.reduce(0, +) / 3
        let sd = (xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        XCTAssertEqual(stat("n", 0), 3)
        XCTAssertEqual(stat("mean", 0), mean, accuracy: 1e-12)
        XCTAssertEqual(stat("sd", 0), sd, accuracy: 1e-12)
        XCTAssertEqual(stat("ci95_high", 0) - stat("mean", 0), 4.302652730 * sd / 3.0.squareRoot(), accuracy: 1e-8)
        // Paired by seed against the reference (variant 1).
        let d = (0..<3).map { v0[$0]! - v1[$0]! }, dm = d.reduce(0, +) / 3
        let dsd = (d.map { ($0 - dm) * ($0 - dm) }.reduce(0, +) / 2).squareRoot()
        XCTAssertEqual(stat("diff_mean", 0), dm, accuracy: 1e-12)
        XCTAssertEqual(stat("diff_ci95_low", 0), dm - 4.302652730 * dsd / 3.0.squareRoot(), accuracy: 1e-8)
        XCTAssertEqual(stat("diff_mean", 1), 0, "the reference against itself")

        let md = try String(contentsOfFile: "\(out.directory)/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("**Answer.** Over 3 seeds (seeds 0, 1, 2)"), md)
        XCTAssertTrue(md.contains("## Ablation: seeds") && md.contains("the variant minus the reference variant 1"), md)
        XCTAssertTrue(md.contains("| 1 (ref) |"), md)
        XCTAssertTrue(md.contains(String(format: "%.2f ± %.2f", 100 * mean, 100 * 4.302652730 * sd / 3.0.squareRoot())), md)
        XCTAssertTrue(md.contains("## Every run") && md.contains("| seed |"), md)
        XCTAssertFalse(md.contains("no interval can be given"), md)
        let svg = try String(contentsOfFile: "\(out.directory)/probe-vs-sweep.svg", encoding: .utf8)
        XCTAssertTrue(svg.contains("95% interval over 3 seeds"), "the sweep figure has error bars")
        XCTAssertFalse(svg.lowercased().contains("nan"))
    }

    func testOneSeedSaysNoIntervalCanBeGiven() throws {
        let s = try sweep("seeds: [1]\n")
        let store = ArtifactStore(root: "\(dir)/artifacts")
        try run(s, store)
        let out = try ReportStage.run(sweep: s, store: store)
        let md = try String(contentsOfFile: "\(out.directory)/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("Over 1 seed (seed 1)") && md.contains("With one seed no interval can be given"), md)
        XCTAssertFalse(md.contains(" ± "), md)
        let text = try String(contentsOfFile: "\(out.directory)/results.csv", encoding: .utf8)
        XCTAssertTrue(text.contains("\nsd,0,"), "aggregate rows are there, empty where undefined")
    }
}
