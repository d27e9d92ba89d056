import Foundation
import Imaging
import Pipeline
import Shards
import XCTest
@testable import Preparation

final class FolderSourceTests: XCTestCase {
    /// A folder of PNGs and JPEGs in 3 classes, plus one corrupt PNG and a
    /// text file that are not images.
    func makeFolder(_ s: Scratch, root: String = "imgs") throws {
        for (ci, cls) in ["cat", "dog", "emu"].enumerated() {
            for i in 0..<4 {
                let img = Scratch.image(seed: ci * 4 + i)
                if i == 3 {
                    s.write(try ImageCodecs.encodeJPEG(img, quality: 100), to: "\(root)/\(cls)/\(i).jpg")
                } else {
                    s.write(try ImageCodecs.encodePNG(img), to: "\(root)/\(cls)/sub/\(i).png")
                }
            }
        }
        var bad = try ImageCodecs.encodePNG(Scratch.image(seed: 99))
        bad.removeLast(bad.count / 2)
        s.write(bad, to: "\(root)/dog/broken.png")
        s.write(Array("hello".utf8), to: "\(root)/emu/notes.txt")
        s.write(Array("hidden".utf8), to: "\(root)/emu/.DS_Store")
    }

    func allSamples(_ dir: String, split: String) throws -> (labels: [Int32], sources: [String], patches: [UInt8], attrs: ShardAttributes?) {
        var labels: [Int32] = [], sources: [String] = [], patches: [UInt8] = []
        var attrs: ShardAttributes? = nil
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(split + "-") }.sorted()
        for f in files {
            let r = try ShardReader(path: "\(dir)/\(f)")
            attrs = r.attributes
            labels += try r.readLabels()
            sources += try r.readSources()
            patches += try r.readPatches(start: 0, count: r.count)
        }
        return (labels, sources, patches, attrs)
    }

    func testFolderWithCorruptFilesSkipsAndCounts() throws {
        let s = Scratch()
        try makeFolder(s)
        let cfg = try s.config(source: "imgs", extra: "prepare:\n  val_fraction: 0.3\n  shard_size: 3\n")
        let out = try PrepareStage.run(cfg, store: s.store)
        XCTAssertTrue(out.built)
        let m = out.manifest
        XCTAssertEqual(m["counts"]?["skipped"], .int(2))
        XCTAssertEqual((m["counts"]?["train"]?.intValue ?? 0) + (m["counts"]?["val"]?.intValue ?? 0), 12)
        let reasons = m["details"]!["skipped"]!.arrayValue!.map { $0["reason"]!.stringValue! }
        XCTAssertTrue(reasons.contains { $0.contains("dog/broken.png") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("emu/notes.txt") && $0.contains("not a PNG or JPEG") }, "\(reasons)")

        let train = try allSamples(out.directory, split: "train")
        let val = try allSamples(out.directory, split: "val")
        XCTAssertEqual(train.attrs?.classNames, ["cat", "dog", "emu"])
        XCTAssertEqual(train.attrs?.channels, 3)
        XCTAssertEqual(Set(train.sources + val.sources).count, 12)
        // Labels follow the class folder; pixels of a PNG survive exactly.
        for (i, src) in train.sources.enumerated() {
            let cls = src.split(separator: "/")[0]
            XCTAssertEqual(train.labels[i], Int32(["cat", "dog", "emu"].firstIndex(of: String(cls))!))
            guard src.hasSuffix(".png") else { continue }
            let img = try ImageCodecs.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: "\(s.dir)/imgs/\(src)"))))
            var expected = [UInt8](repeating: 0, count: 16 * 12)  // 4x4 patches of 2x2x3
            expected.withUnsafeMutableBufferPointer { Patchify.extract(img, patch: 2, into: $0.baseAddress!) }
            XCTAssertEqual(Array(train.patches[(i * 192)..<((i + 1) * 192)]), expected, src)
        }
        // Shards hold at most shard_size samples.
        for f in try FileManager.default.contentsOfDirectory(atPath: out.directory) where f.hasSuffix(".h5") {
            XCTAssertLessThanOrEqual(try ShardReader(path: "\(out.directory)/\(f)").count, 3)
        }

        // on_error: fail stops at the first bad file and leaves no artifact.
        let strict = try s.config(source: "imgs", extra: "prepare:\n  val_fraction: 0.3\n  on_error: fail\n")
        XCTAssertThrowsError(try PrepareStage.run(strict, store: s.store)) { e in
            XCTAssertTrue("\(e)".contains("broken.png") || "\(e)".contains("notes.txt"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare"), [out.key])
    }

    func testPathHashSplitIsDeterministicAndSeeded() throws {
        let s = Scratch()
        try makeFolder(s)
        let cfg = try s.config(source: "imgs", extra: "prepare:\n  val_fraction: 0.5\n")
        let a = try FolderSource(root: "\(s.dir)/imgs", settings: PrepareInputs(cfg.settings)).files.map(\.split)
        let b = try FolderSource(root: "\(s.dir)/imgs", settings: PrepareInputs(cfg.settings)).files.map(\.split)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.contains("train") && a.contains("val"))
        // Split depends on the path only: adding a file leaves the others where they were.
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 50)), to: "imgs/cat/zzz.png")
        let c = try FolderSource(root: "\(s.dir)/imgs", settings: PrepareInputs(cfg.settings)).files
        let before = try FolderSource(root: "\(s.dir)/imgs", settings: PrepareInputs(cfg.settings)).files.filter { $0.path != "cat/zzz.png" }
        XCTAssertEqual(before.map(\.split), a)
        XCTAssertEqual(c.count, a.count + 1)
        let reseeded = try s.config(source: "imgs", extra: "prepare:\n  val_fraction: 0.5\n  split_seed: 7\n")
        let r = try FolderSource(root: "\(s.dir)/imgs", settings: PrepareInputs(reseeded.settings)).files
        XCTAssertNotEqual(r.map(\.split), c.map(\.split), "another split_seed gives another split")
        let fractions = (0..<200).map { FolderSource.hashFraction("f\($0)", seed: 0) }
        XCTAssertEqual(Double(fractions.filter { $0 < 0.5 }.count) / 200, 0.5, accuracy: 0.1)
        XCTAssertNotEqual(FolderSource.hashFraction("x", seed: 0), FolderSource.hashFraction("x", seed: 7))
    }

    func testUnreadableEntriesAreSkippedNotFatal() throws {
        let s = Scratch()
        try makeFolder(s)
        XCTAssertEqual(symlink("\(s.dir)/nowhere.png", "\(s.dir)/imgs/cat/dangling.png"), 0)
        XCTAssertEqual(mkfifo("\(s.dir)/imgs/dog/pipe.png", 0o600), 0)
        // A link loop back to the root is visited once.
        XCTAssertEqual(symlink("\(s.dir)/imgs/emu", "\(s.dir)/imgs/emu/loop"), 0)
        let out = try PrepareStage.run(try s.config(source: "imgs"), store: s.store)
        let reasons = out.manifest["details"]!["skipped"]!.arrayValue!.map { $0["reason"]!.stringValue! }
        XCTAssertEqual(out.manifest["counts"]?["skipped"], .int(4), "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("dangling.png") }, "\(reasons)")
        XCTAssertTrue(reasons.contains { $0.contains("pipe.png") && $0.contains("not a regular file") }, "\(reasons)")
    }

    func testClassFolderWithoutReadableImagesIsAnError() throws {
        let s = Scratch()
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1)), to: "f/a/x.png")
        s.write(Array("text".utf8), to: "f/b/readme.txt")
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "f"), store: s.store)) {
            XCTAssertTrue("\($0)".contains("'b'") && "\($0)".contains("no readable image"), "\($0)")
        }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare")) ?? [], [])
    }

    func testTrainValRootsAndBadLayouts() throws {
        let s = Scratch()
        for split in ["train", "val"] { for cls in ["a", "b"] {
            s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1, size: 12)), to: "tv/\(split)/\(cls)/x.png")
        } }
        // Gray output from RGB input, resized 12 -> 8.
        let out = try PrepareStage.run(try s.config(source: "tv", extra: "prepare:\n  channels: 1\n"), store: s.store)
        XCTAssertEqual(out.manifest["counts"]?["train"], .int(2))
        XCTAssertEqual(out.manifest["counts"]?["val"], .int(2))

        // ImageNet's flat validation folder: images beside no class folder, refused, not skipped.
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1)), to: "flat/train/a/x.png")
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 2)), to: "flat/val/ILSVRC2012_val_00000001.png")
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "flat"), store: s.store)) {
            XCTAssertTrue("\($0)".contains("flat/val: holds 1 file(s) directly (ILSVRC2012_val_00000001.png)"), "\($0)")
        }

        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1)), to: "tv/val/zebra/x.png")
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "tv"), store: s.store)) {
            XCTAssertTrue("\($0)".contains("val/zebra") && "\($0)".contains("not present"), "\($0)")
        }
        try FileManager.default.createDirectory(atPath: "\(s.dir)/empty/cls", withIntermediateDirectories: true)
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1)), to: "empty/other/x.png")
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "empty"), store: s.store)) {
            XCTAssertTrue("\($0)".contains("empty/cls") && "\($0)".contains("empty class folder"), "\($0)")
        }
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1)), to: "valonly/val/a/x.png")
        s.write(try ImageCodecs.encodePNG(Scratch.image(seed: 1)), to: "valonly/a/x.png")
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "valonly"), store: s.store)) {
            XCTAssertTrue("\($0)".contains("no train/"), "\($0)")
        }
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "nowhere"), store: s.store)) {
            XCTAssertTrue("\($0)".contains("nowhere") && "\($0)".contains("not found"), "\($0)")
        }
    }

    func testKeyTracksDataAndConfigButNotUnreadKeys() throws {
        let s = Scratch()
        try makeFolder(s)
        let cfg = try s.config(source: "imgs")
        let k1 = try PrepareStage.keyMaterial(cfg, store: s.store).key
        XCTAssertEqual(try PrepareStage.keyMaterial(try s.config(source: "imgs", extra: "optimization:\n  lr: 0.5\n"), store: s.store).key, k1)
        XCTAssertNotEqual(try PrepareStage.keyMaterial(try s.config(source: "imgs", extra: "prepare:\n  channels: 1\n"), store: s.store).key, k1)
        // New content in one file: new key (even with the same size).
        let f = "\(s.dir)/imgs/cat/sub/0.png"
        let bytes = try ImageCodecs.encodePNG(Scratch.image(seed: 77))
        try Data(bytes).write(to: URL(fileURLWithPath: f))
        XCTAssertNotEqual(try PrepareStage.keyMaterial(cfg, store: s.store).key, k1)
    }
}
