import Foundation
import XCTest
@testable import Pipeline
@testable import Reporting

/// results/registry.csv: every documented number's run, and the check that
/// its pipeline or sweep file still gives the artifact keys it had.
final class RegistryTests: XCTestCase {
    func entry(_ variant: Int, seed: Int?, probeKey: String = "p") -> ResultsRegistry.Entry {
        ResultsRegistry.Entry(kind: "sweep", source: "pipelines/sweeps/x.yaml", variant: variant, seed: seed, overrides: [],
                              label: "mask.pred_mask_scale=[0.15,0.2]", command: "make sweep-run-0-1 SWEEP=x",
                              prepareKey: "a", pretrainKey: "b", probeKey: probeKey, commit: "c0ffee", cpuClass: "avx2",
                              cpuModel: "AMD EPYC 7B12, \"Zen 2\"", gemmFingerprint: "da7d511dff9ce292", evalSplit: "holdout", evalImages: 6000,
                              metrics: ["ijepa_linear_100pct": 0.8295, "pixels_knn_1pct": 0.7], pretrainMinutes: 12.5,
                              finished: "2026-12-06T20:00:00Z")
    }

    func testCSVReadsBackQuotedCommasQuotesAndNewlines() {
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", ""]
        let text = fields.map(CSV.field).joined(separator: ",") + "\nx,y\n"
        XCTAssertEqual(CSV.rows(text), [fields, ["x", "y"]])
        XCTAssertEqual(CSV.rows("a,b"), [["a", "b"]], "no trailing newline")
        XCTAssertEqual(CSV.rows(""), [])
    }

    func testRowsRoundTripAndRecordingAgainReplacesTheRow() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let rows = ResultsRegistry.merged([], [entry(1, seed: 2), entry(0, seed: nil), entry(1, seed: 0)])
        XCTAssertEqual(rows.map(\.seed), [nil, 0, 2], "sorted by variant, then seed")
        try ResultsRegistry.write(rows, to: path)
        XCTAssertEqual(try ResultsRegistry.read(path), rows.map { e in
            var e = e
            e.metrics = e.metrics.mapValues { ($0 * 10_000).rounded() / 10_000 }
            return e
        })
        let again = ResultsRegistry.merged(try ResultsRegistry.read(path), [entry(1, seed: 2, probeKey: "new")])
        XCTAssertEqual(again.count, 3)
        XCTAssertEqual(again.first { $0.seed == 2 }?.probeKey, "new")
        // A registry written before gemm_fingerprint: its rows read as "unknown".
        let written = try ResultsRegistry.read(path)
        XCTAssertEqual(written.map(\.gemmFingerprint), ["da7d511dff9ce292", "da7d511dff9ce292", "da7d511dff9ce292"])
        let columns = ResultsRegistry.columnsWithoutFingerprint, at = ResultsRegistry.columns.firstIndex(of: "gemm_fingerprint")!
        let old = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            var f = CSV.rows(String(line))[0]
            f.remove(at: at)
            return f.map(CSV.field).joined(separator: ",")
        }
        XCTAssertEqual(old[0], columns.joined(separator: ","))
        try (old.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ResultsRegistry.read(path), written.map { e in
            var e = e
            e.gemmFingerprint = "unknown"
            return e
        }, "the same rows, the fingerprint unknown")
        try "kind,source\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsRegistry.read(path)) { XCTAssertTrue("\($0)".contains("header"), "\($0)") }
    }

    /// The committed registry: each row's file, variant, seed and overrides
    /// must still give the keys recorded. A failure means a changed default
    /// (or file) changed a documented experiment: pin the old value in the
    /// file, or re-run it and re-record (`make record-sweep SWEEP=...`) and
    /// update the documents that cite it.
    func testEveryRecordedRunStillHasItsArtifactKeys() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: ReportStageTests.fashion), "dataset-fashion-mnist missing")
        let root = ReportStageTests.root
        let entries = try ResultsRegistry.read("\(root)/\(ResultsRegistry.defaultPath)")
        guard let first = entries.first else { return XCTFail("the registry records the runs behind the documented numbers") }
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(root)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        let store = ArtifactStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID())").path)
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        for e in entries {
            let what = "\(e.source) variant \(e.variant)\(e.seed.map { " seed \($0)" } ?? "")\(e.overrides.isEmpty ? "" : " " + e.overrides.joined(separator: " "))"
            let keys = try ResultsRegistry.keys(of: e, store: store)
            XCTAssertEqual(keys.prepare, e.prepareKey, "\(what): the prepare key moved")
            XCTAssertEqual(keys.pretrain, e.pretrainKey, "\(what): the pretrain key moved; a default or the file changed this experiment")
            XCTAssertEqual(keys.probe, e.probeKey, "\(what): the probe key moved")
        }
        // The check can fail: one changed value moves the keys.
        var changed = first
        changed.overrides.append("optimization.final_lr=3.0e-06")
        XCTAssertNotEqual(try ResultsRegistry.keys(of: changed, store: store).pretrain, first.pretrainKey)
    }
}
