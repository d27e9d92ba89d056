import Foundation
import XCTest
@testable import Pipeline

/// A stage's settings as Prepare's are: one group of `data` and the `prepare` section.
struct SourceAndPrepare: StageInputs {
    let source: SourceSettings
    let prepare: PrepareSettings
}

final class ArtifactStoreTests: XCTestCase {
    var dir = ""

    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func material(_ yamlExtra: String = "", data dataExtra: String = "", inputs: [String: String] = ["source": "abc"],
                  upstream: [String: String] = [:], version: Int = 1) throws -> ArtifactKeyMaterial {
        let c = try PipelineConfig.from(yaml: "data:\n  root_path: /r\n  image_folder: f\n  crop_size: 28\n" + dataExtra + "mask:\n  patch_size: 4\n  min_keep: 4\n" + yamlExtra)
        return ArtifactKeyMaterial(stage: "prepare", formatVersion: version,
                                   settings: SourceAndPrepare(source: c.settings.data.source, prepare: c.settings.prepare),
                                   upstream: upstream, inputs: inputs)
    }

    func testInterruptsAreBlockedInTheStoresThreadAndThoseItStartsLater() {
        // So no compute thread runs a signal handler: the signals wait for libdispatch's signalfd.
        _ = ArtifactStore(root: dir)
        @Sendable func blocked() -> (Bool, Bool) {
            var mask = sigset_t()
            pthread_sigmask(SIG_BLOCK, nil, &mask)
            return (sigismember(&mask, SIGINT) == 1, sigismember(&mask, SIGTERM) == 1)
        }
        XCTAssertTrue(blocked() == (true, true))
        let done = expectation(description: "a thread started after")
        let inherited = LockedFlag()
        Thread {
            inherited.set(blocked() == (true, true))
            done.fulfill()
        }.start()
        wait(for: [done], timeout: 10)
        XCTAssertTrue(inherited.value, "a thread started after inherits the mask")
    }

    func testKeyChangesWithEveryInputAndOnlyThen() throws {
        let k = try material().key
        XCTAssertEqual(k.count, 16)
        XCTAssertEqual(try material().key, k)
        XCTAssertEqual(try material(data: "  batch_size: 7\n").key, k, "a key the stage does not read")
        XCTAssertNotEqual(try material("prepare:\n  shard_size: 7\n").key, k)
        XCTAssertNotEqual(try material(inputs: ["source": "abd"]).key, k)
        XCTAssertNotEqual(try material(upstream: ["x": "1"]).key, k)
        XCTAssertNotEqual(try material(version: 2).key, k)
    }

    func testBuildPublishesCompleteArtifactWithManifest() throws {
        let store = ArtifactStore(root: dir)
        let m = try material()
        try store.build(m) { tmp in
            try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(tmp)/a.txt"))
            return StageResult(counts: ["n": 1])
        }
        let final = store.directory(stage: "prepare", key: m.key)
        let manifest = try store.verify(stage: "prepare", key: m.key, deep: true).get()
        XCTAssertEqual(manifest["counts"]?["n"], .int(1))
        let files = manifest["files"]!.arrayValue!
        XCTAssertEqual(files.count, 1)
        XCTAssertEqual(files[0]["sha256"]?.stringValue, Digest.sha256Hex("hello"))
        XCTAssertNotNil(manifest["provenance"]?["git_commit"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/prepare"), [m.key])
        // Tampering is caught: size by the quick check, content by the deep one.
        try Data("hellO".utf8).write(to: URL(fileURLWithPath: "\(final)/a.txt"))
        XCTAssertNoThrow(try store.verify(stage: "prepare", key: m.key).get())
        XCTAssertThrowsError(try store.verify(stage: "prepare", key: m.key, deep: true).get())
        try Data("hello!".utf8).write(to: URL(fileURLWithPath: "\(final)/a.txt"))
        XCTAssertThrowsError(try store.verify(stage: "prepare", key: m.key).get())
    }

    func testFailedStageLeavesNothing() throws {
        let store = ArtifactStore(root: dir)
        let m = try material()
        XCTAssertThrowsError(try store.build(m) { tmp in
            try Data(count: 1000).write(to: URL(fileURLWithPath: "\(tmp)/half.h5"))
            throw PipelineError("disk on fire")
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/prepare"), [])
        XCTAssertThrowsError(try store.verify(stage: "prepare", key: m.key).get())
    }

    func testRebuildReplacesExistingArtifact() throws {
        let store = ArtifactStore(root: dir)
        let m = try material()
        for text in ["one", "two"] {
            try store.build(m) { tmp in
                try Data(text.utf8).write(to: URL(fileURLWithPath: "\(tmp)/a.txt"))
                return StageResult()
            }
        }
        let path = store.directory(stage: "prepare", key: m.key) + "/a.txt"
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/prepare"), [m.key])
    }

    func testStaleStagingOfDeadProcessIsRemoved() throws {
        let store = ArtifactStore(root: dir)
        let m = try material()
        // A pid that cannot be alive (above pid_max).
        let stale = "\(dir)/prepare/.tmp-\(m.key)-99999999-1"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: true)
        try store.build(m) { _ in StageResult() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
    }

    func testDigestCacheAnswersFromStampAndSeesRestoredMtime() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let f = "\(dir)/x.bin"
        try Data("aaaa".utf8).write(to: URL(fileURLWithPath: f))
        let mtime = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: f)
        let cache = DigestCache(path: "\(dir)/cache.tsv")
        XCTAssertEqual(try cache.digest(ofFile: f), Digest.sha256Hex("aaaa"))
        cache.save()
        // The cache answers for an unchanged file without reading it: plant a
        // different digest for the same stamp and get it back.
        let planted = String(repeating: "0", count: 64)
        let line = try String(contentsOfFile: "\(dir)/cache.tsv", encoding: .utf8)
        try line.replacingOccurrences(of: Digest.sha256Hex("aaaa"), with: planted)
            .write(toFile: "\(dir)/cache.tsv", atomically: true, encoding: .utf8)
        XCTAssertEqual(try DigestCache(path: "\(dir)/cache.tsv").digest(ofFile: f), planted)
        // Same size, content rewritten, mtime restored (touch -r, cp -p): the
        // change time differs, so the file is hashed again.
        try Data("bbbb".utf8).write(to: URL(fileURLWithPath: f))
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: f)
        XCTAssertEqual(try DigestCache(path: "\(dir)/cache.tsv").digest(ofFile: f), Digest.sha256Hex("bbbb"))
        // A FIFO is refused instead of read forever.
        XCTAssertEqual(mkfifo("\(dir)/fifo", 0o600), 0)
        XCTAssertThrowsError(try cache.digest(ofFile: "\(dir)/fifo")) { XCTAssertTrue("\($0)".contains("not a regular file")) }
    }
}

/// A Bool written by one thread and read by another.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set(_ v: Bool) { lock.lock(); flag = v; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
