import Foundation
import XCTest

/// SIGKILL in the middle of training leaves a checkpoint that --resume
/// continues from to a complete artifact.
final class KilledRunTests: XCTestCase {
    func executable(_ name: String) -> String? {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
            .components(separatedBy: "/").prefix { !$0.hasSuffix(".xctest") }.joined(separator: "/")
        for d in [bin, "\(PretrainSmokeTests.root)/.build/debug"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") {
            return "\(d)/\(name)"
        }
        return nil
    }

    func launch(_ name: String, _ args: [String]) throws -> Process {
        guard let exe = executable(name) else { throw XCTSkip("\(name) not built") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func testKilledRunResumesToACompleteArtifact() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: PretrainSmokeTests.fashion), "dataset-fashion-mnist missing")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("killed-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = ["--config", "\(PretrainSmokeTests.root)/pipelines/smoke.yaml", "--artifacts", dir]
            + (PretrainSmokeTests.small + ["optimization.epochs=20"]).flatMap { ["--set", $0] }
        let prep = try launch("Prepare", base)
        prep.waitUntilExit()
        XCTAssertEqual(prep.terminationStatus, 0)

        let run = try launch("Pretrain", base)
        let deadline = Date().addingTimeInterval(120)
        var checkpoint: String? = nil
        while Date() < deadline && run.isRunning && checkpoint == nil {
            let works = ((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain")) ?? []).filter { $0.hasPrefix(".work-") }
            checkpoint = works.map { "\(dir)/pretrain/\($0)/checkpoint.h5" }.first { FileManager.default.fileExists(atPath: $0) }
            usleep(20_000)
        }
        XCTAssertTrue(run.isRunning, "training should still be running when killed")
        kill(run.processIdentifier, SIGKILL)
        run.waitUntilExit()
        XCTAssertNotNil(checkpoint)
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain")
        XCTAssertFalse(names.contains { !$0.hasPrefix(".") }, "no artifact from the killed run: \(names)")

        let resumed = try launch("Pretrain", base + ["--resume"])
        resumed.waitUntilExit()
        XCTAssertEqual(resumed.terminationStatus, 0)
        let after = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain").filter { !$0.hasPrefix(".") }
        XCTAssertEqual(after.count, 1)
        let log = try String(contentsOfFile: "\(dir)/pretrain/\(after[0])/log.csv", encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 1 + 32 * 20, "every step logged once")
    }
}
