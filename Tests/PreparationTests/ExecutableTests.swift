import Foundation
import XCTest

/// The Prepare command line: exit status, one-line errors, and what an
/// interrupted run leaves behind.
final class ExecutableTests: XCTestCase {
    func run(_ args: [String], until: ((Process) -> Void)? = nil) throws -> (status: Int32, stderr: String) {
        guard let exe = Products.executable("Prepare") else { throw XCTSkip("Prepare executable not built") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        until?(p)
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testSmokePipelineThroughTheBinaryThenUpToDate() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: IDXPrepareTests.fashion), "dataset-fashion-mnist missing")
        let s = Scratch()
        let args = ["--config", "\(Products.packageRoot)/pipelines/smoke.yaml", "--artifacts", s.artifacts]
        let first = try run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("images/s"), first.stderr)
        let second = try run(args)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("up to date"), second.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare").count, 1)
    }

    func testBadConfigKeyIsOneLineErrorNamingTheKey() throws {
        let s = Scratch()
        s.write(Array("extends: \(Products.packageRoot)/pipelines/smoke.yaml\nprepare:\n  shard_sise: 3\n".utf8), to: "p.yaml")
        let r = try run(["--config", "\(s.dir)/p.yaml", "--artifacts", s.artifacts])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("prepare.shard_sise"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(s.artifacts)/prepare"))
    }

    func testInterruptedRunLeavesNoArtifact() throws {
        // A folder large enough that the run is still going when interrupted.
        let s = Scratch()
        let png = try Scratch.noisePNG(side: 96)
        for cls in 0..<2 { for i in 0..<800 {
            s.write(png, to: "big/c\(cls)/\(i).png")
        } }
        s.write(Array("data:\n  root_path: \(s.dir)\n  image_folder: big\n  crop_size: 64\nmask:\n  patch_size: 8\n  min_keep: 4\nprepare:\n  gzip_level: 9\n".utf8), to: "p.yaml")
        for (sig, name) in [(SIGINT, "SIGINT"), (SIGKILL, "SIGKILL")] {
            let r = try run(["--config", "\(s.dir)/p.yaml", "--artifacts", s.artifacts]) { p in
                // Wait until staging has begun, then interrupt.
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline && p.isRunning {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare")) ?? []
                    if names.contains(where: { $0.hasPrefix(".tmp-") }) { break }
                    usleep(2000)
                }
                kill(p.processIdentifier, sig)
            }
            XCTAssertNotEqual(r.status, 0, "\(name): \(r.stderr)")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare")) ?? []
            XCTAssertFalse(names.contains { !$0.hasPrefix(".") }, "\(name) left \(names): \(r.stderr)")
            if sig == SIGINT { XCTAssertEqual(names, [], "SIGINT cleans its staging directory") }
        }
        // The next run cleans the SIGKILL leftovers and completes.
        let r = try run(["--config", "\(s.dir)/p.yaml", "--artifacts", s.artifacts])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare")
        XCTAssertEqual(names.count, 1, "\(names)")
        XCTAssertFalse(names[0].hasPrefix("."))
    }
}
