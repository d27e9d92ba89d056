import Foundation
import XCTest
@testable import Pipeline

final class ConfigTests: XCTestCase {
    let base = """
    data:
      root_path: /data
      image_folder: set
      crop_size: 28
    mask:
      patch_size: 4
      min_keep: 3
    """

    func load(_ yaml: String) throws -> PipelineConfig { try PipelineConfig.from(yaml: yaml, source: "t.yaml") }

    func assertError(_ yaml: String, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(yaml), file: file, line: line) { e in
            let msg = "\(e)"
            for p in parts { XCTAssertTrue(msg.contains(p), "'\(msg)' lacks '\(p)'", file: file, line: line) }
            XCTAssertFalse(msg.contains("\n"), "error should be one line: \(msg)", file: file, line: line)
        }
    }

    func testDefaultsFillMissingKeys() throws {
        let c = try load(base)
        XCTAssertEqual(c.values["data.crop_size"], .int(28))
        XCTAssertEqual(c.values["prepare.shard_size"], .int(10000))
        XCTAssertEqual(c.values["mask.pred_mask_scale"], .array([.double(0.15), .double(0.2)]))
    }

    func testUnknownKeyNamesTheKey() {
        assertError(base + "\n  crop_sise: 3\n", contains: ["mask.crop_sise", "unknown key", "t.yaml"])
        assertError(base + "\nprepre:\n  x: 1\n", contains: ["unknown section 'prepre'"])
    }

    func testTheFirstUnknownKeyInFileOrderIsReported() {
        // Eight unknown keys: a dictionary's order would name another one almost always.
        let keys = ["zeta", "beta", "omega", "alpha", "kappa", "delta", "gamma", "theta"]
        let yaml = base + "\n" + keys.map { "  \($0): 1\n" }.joined()
        for _ in 0..<3 {
            assertError(yaml, contains: ["unknown key 'mask.zeta'"])
        }
    }

    func testImpossibleValuesNameKeyAndReason() {
        assertError(base + "\nprepare:\n  channels: 2\n", contains: ["prepare.channels", "must be 1 or 3"])
        assertError(base + "\nprepare:\n  shard_size: 0\n", contains: ["prepare.shard_size", "at least 1"])
        assertError(base.replacingOccurrences(of: "patch_size: 4", with: "patch_size: 5"), contains: ["data.crop_size", "not a multiple of mask.patch_size"])
        assertError(base + "\n  pred_mask_scale: [0.3, 0.2]\n", contains: ["mask.pred_mask_scale", "must not exceed"])
        assertError(base + "\nprepare:\n  gzip_level: fast\n", contains: ["prepare.gzip_level", "expected an integer"])
        assertError(base + "\nprepare:\n  on_error: ignore\n", contains: ["prepare.on_error", "skip, fail"])
        assertError("data:\n  root_path: /x\n", contains: ["missing required key 'data.image_folder'"])
    }

    func testNumbersNormaliseAndCommentsDoNotMatter() throws {
        let a = try load(base + "\noptimization:\n  lr: 1\n")
        let b = try load("# a comment\n" + base + "\noptimization:\n  lr: 1.0   # same value\n")
        XCTAssertEqual(a.values, b.values)
        XCTAssertEqual(a.values["optimization.lr"], .double(1.0))
    }

    func testEvalPeriodIsStepsOrEpochsInOneCanonicalForm() throws {
        func period(_ v: String) throws -> JSON? { try load(base + "\nlogging:\n  eval_every: \(v)\n").values["logging.eval_every"] }
        XCTAssertEqual(try period("200"), .int(200))
        XCTAssertEqual(try period("\"200 steps\""), .int(200), "steps written out hash like the integer")
        XCTAssertEqual(try period("0.50 Epochs"), .string("0.5 epochs"))
        XCTAssertEqual(try period("\"1 epoch\""), .string("1 epochs"))
        XCTAssertEqual(try period("0"), .int(0))
        XCTAssertEqual(try period("0 epochs"), .int(0), "zero epochs is never, like 0")
        XCTAssertEqual(TrainingPeriod(.string("0.5 epochs"))?.steps(itersPerEpoch: 469), 235)
        XCTAssertEqual(TrainingPeriod(.string("0.0001 epochs"))?.steps(itersPerEpoch: 100), 1, "at least one step")
        XCTAssertNil(TrainingPeriod(.int(0))?.steps(itersPerEpoch: 100))
        for bad in ["-5", "0.5", "2 weeks", "\"1.5 steps\"", "epochs", "true"] {
            assertError(base + "\nlogging:\n  eval_every: \(bad)\n", contains: ["logging.eval_every", "a step count or a number of epochs"])
        }
    }

    func testYAML12CoreTyping() throws {
        let c = try load(base + "\nprepare:\n  split_seed: 010\nreport:\n  title: Off\n")
        XCTAssertEqual(c.values["prepare.split_seed"], .int(10), "010 is decimal in YAML 1.2")
        XCTAssertEqual(c.values["report.title"], .string("Off"), "Off is not a boolean in YAML 1.2")
        assertError(base + "\noptimization:\n  lr: .inf\n", contains: ["optimization.lr", "finite"])
        assertError(base + "\nprepare:\n  format: yes\n", contains: ["prepare.format", "auto, idx, folder"])
    }

    func testDuplicateKeysAreErrors() {
        assertError(base + "\n  patch_size: 4\n", contains: ["patch_size"])
    }

    func testQuotedScalarsStayStrings() {
        assertError(base + "\nprepare:\n  shard_size: \"12\"\n", contains: ["expected an integer"])
    }

    func testExtendsAndOverrides() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try base.write(toFile: "\(dir)/base.yaml", atomically: true, encoding: .utf8)
        try "extends: base.yaml\nprepare:\n  limit_train: 5\n".write(toFile: "\(dir)/child.yaml", atomically: true, encoding: .utf8)
        let c = try PipelineConfig.load(path: "\(dir)/child.yaml", overrides: ["prepare.limit_val=7", "mask.pred_mask_scale=[0.1, 0.2]"])
        XCTAssertEqual(c.values["data.root_path"], .string("/data"))
        XCTAssertEqual(c.values["prepare.limit_train"], .int(5))
        XCTAssertEqual(c.values["prepare.limit_val"], .int(7))
        XCTAssertEqual(c.values["mask.pred_mask_scale"], .array([.double(0.1), .double(0.2)]))
        XCTAssertThrowsError(try PipelineConfig.load(path: "\(dir)/child.yaml", overrides: ["prepare.limit_vall=1"])) {
            XCTAssertTrue("\($0)".contains("prepare.limit_vall"))
        }
        try "extends: loop.yaml\n".write(toFile: "\(dir)/loop.yaml", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PipelineConfig.load(path: "\(dir)/loop.yaml")) { XCTAssertTrue("\($0)".contains("cycle")) }
    }

    func testShippedPipelinesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        for name in ["default", "smoke", "long"] {
            let c = try PipelineConfig.load(path: "\(root)/pipelines/\(name).yaml")
            XCTAssertEqual(c.values["data.crop_size"], .int(28))
            XCTAssertEqual(c.values["mask.patch_size"], .int(4))
        }
    }

    func testEveryDefaultFollowsItsRuleAndReadsBackUnchanged() throws {
        var s = PipelineSettings()
        for f in PipelineSettings.fields where !f.required {
            let v = f.get(s)
            XCTAssertNil(f.rule(v), "\(f.path): default \(v.canonical)")
            f.set(&s, try PipelineConfig.coerce(v, to: f, whereSet: "default"))
            XCTAssertEqual(f.get(s), v, f.path)
        }
        XCTAssertEqual(Set(PipelineSettings.fields.map(\.path)).count, PipelineSettings.fields.count, "one field per key")
    }

    func testTypedSettingsAreCheckedLikeAFile() throws {
        var s = PipelineSettings()
        s.data.source.rootPath = "/data"
        s.data.source.imageFolder = "set"
        s.data.source.cropSize = 28
        s.mask.patchSize = 4
        s.mask.minKeep = 3
        XCTAssertEqual(try PipelineConfig(settings: s).values, try load(base).values, "the same config, typed or read")
        s.optimization.lr = -1
        XCTAssertThrowsError(try PipelineConfig(settings: s)) {
            XCTAssertTrue("\($0)".contains("optimization.lr: must not be negative"), "\($0)")
        }
        s.optimization.lr = 0.001
        s.mask.minKeep = 10
        XCTAssertThrowsError(try PipelineConfig(settings: s)) {
            XCTAssertTrue("\($0)".contains("mask.pred_mask_scale") && "\($0)".contains("never be kept"), "\($0)")
        }
    }

    func testStageInputsEncodeExactlyTheGroupsTheyHold() throws {
        let c = try load(base)
        let key = SourceAndPrepare(source: c.settings.data.source, prepare: c.settings.prepare).keyJSON
        XCTAssertEqual(key["data.crop_size"], .int(28))
        XCTAssertEqual(key["data.root_path"], .string("/data"))
        XCTAssertNotNil(key["prepare.shard_size"])
        XCTAssertNil(key["data.batch_size"], "a group the stage does not hold")
        // Every key of both groups but prepare.normalization, a later key at its default.
        let expected = Set((SourceSettings.fields.map(\.path) + PrepareSettings.fields.map(\.path))).subtracting(["prepare.normalization"])
        XCTAssertEqual(Set(key.objectValue?.keys.map { $0 } ?? []), expected)
        let single = c.settings.mask.keyed(\.patchSize)
        XCTAssertEqual(single.path, "mask.patch_size")
        XCTAssertEqual(single.keyEntries.map(\.value), [.int(4)])
    }
}

final class DocumentationTests: XCTestCase {
    func testConfigurationDocHoldsTheKeyTableOfTheSettingsTypes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let doc = try String(contentsOfFile: "\(root)/docs/configuration.md", encoding: .utf8)
        XCTAssertTrue(doc.contains(PipelineSettings.markdownTable),
                      "docs/configuration.md's key table is not the settings types' table; run Prepare --list-keys | tools/docs/update_key_table.py")
    }
}
