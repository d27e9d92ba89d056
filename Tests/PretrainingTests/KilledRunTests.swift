import Foundation
import Shards
import XCTest

/// Faults injected into the stage executables: SIGKILL in the middle of
/// Pretrain and Probe, and a full disk (a file-size limit, RLIMIT_FSIZE)
/// during Prepare and a Pretrain checkpoint.
final class KilledRunTests: XCTestCase {
    func executable(_ name: String) -> String? {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
            .components(separatedBy: "/").prefix { !$0.hasSuffix(".xctest") }.joined(separator: "/")
        for d in [bin, "\(PretrainSmokeTests.root)/.build/debug"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") {
            return "\(d)/\(name)"
        }
        return nil
    }

    /// Starts a stage; with `fileSizeLimitKiB`, under bash's `ulimit -f` with
    /// SIGXFSZ ignored, so a write past the limit fails with EFBIG as on a
    /// full disk.
    func launch(_ name: String, _ args: [String], fileSizeLimitKiB: Int? = nil, stderr: Pipe? = nil) throws -> Process {
        guard let exe = executable(name) else { throw XCTSkip("\(name) not built") }
        let p = Process()
        if let limit = fileSizeLimitKiB {
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "ulimit -f \(limit); trap '' XFSZ; exec \"$0\" \"$@\"", exe] + args
        } else {
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = args
        }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr ?? FileHandle.nullDevice
        try p.run()
        return p
    }

    func runToEnd(_ name: String, _ args: [String], fileSizeLimitKiB: Int? = nil) throws -> (status: Int32, stderr: String) {
        let err = Pipe()
        let p = try launch(name, args, fileSizeLimitKiB: fileSizeLimitKiB, stderr: err)
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    var dir = ""
    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: PretrainSmokeTests.fashion), "dataset-fashion-mnist missing")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("killed-\(UUID())").path
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func args(_ artifacts: String, _ extra: [String] = []) -> [String] {
        ["--config", "\(PretrainSmokeTests.root)/pipelines/smoke.yaml", "--artifacts", artifacts]
            + (PretrainSmokeTests.small + extra).flatMap { ["--set", $0] }
    }

    /// Names in a stage folder that look like artifacts (not hidden work or staging folders).
    func artifacts(_ root: String, _ stage: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(stage)")) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// Waits until `ready()` or the process ends, then SIGKILLs it.
    func kill(_ p: Process, when ready: () -> Bool) {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && p.isRunning && !ready() { usleep(20_000) }
        XCTAssertTrue(p.isRunning, "the stage should still be running when killed")
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    func testKilledRunRerunWithoutFlagsResumesToTheUninterruptedWeightsBitForBit() throws {
        let base = args(dir, ["optimization.epochs=20"])
        XCTAssertEqual(try runToEnd("Prepare", base).status, 0)
        let run = try launch("Pretrain", base)
        var checkpoint: String? = nil
        kill(run) {
            let works = ((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain")) ?? []).filter { $0.hasPrefix(".work-") }
            checkpoint = works.map { "\(dir)/pretrain/\($0)/checkpoint.h5" }.first { FileManager.default.fileExists(atPath: $0) }
            return checkpoint != nil
        }
        XCTAssertNotNil(checkpoint)
        XCTAssertEqual(artifacts(dir, "pretrain"), [], "no artifact from the killed run")

        // Rerun without flags: the same build's checkpoint is continued, and the log says so.
        let resumed = try runToEnd("Pretrain", base)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming the interrupted run of this configuration from step"), resumed.stderr)
        let after = artifacts(dir, "pretrain")
        XCTAssertEqual(after.count, 1)
        let log = try String(contentsOfFile: "\(dir)/pretrain/\(after[0])/log.csv", encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 1 + 32 * 20, "every step logged once")

        // The same run without interruption, same thread count: the same final state, bit for bit.
        let other = dir + "/uninterrupted", otherArgs = args(other, ["optimization.epochs=20"])
        XCTAssertEqual(try runToEnd("Prepare", otherArgs).status, 0)
        XCTAssertEqual(try runToEnd("Pretrain", otherArgs).status, 0)
        XCTAssertEqual(artifacts(other, "pretrain"), after, "same key")
        let a = try HDF5File(path: "\(dir)/pretrain/\(after[0])/checkpoint.h5")
        let b = try HDF5File(path: "\(other)/pretrain/\(after[0])/checkpoint.h5")
        let names = Self.checkpointTensors()
        XCTAssertTrue(names.allSatisfy { a.exists($0) }, "every tensor is in the checkpoint")
        for name in names { XCTAssertEqual(try a.floats(name), try b.floats(name), name) }
        XCTAssertEqual(try a.intAttribute("step"), try b.intAttribute("step"))
    }

    /// Every tensor of the smoke model's checkpoint (depth 1, predictor depth 1).
    static func checkpointTensors() -> [String] {
        let block = ["norm1.weight", "norm1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                     "norm2.weight", "norm2.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"]
        let encoder = ["patch_embed.proj.weight", "patch_embed.proj.bias"] + block.map { "blocks.0." + $0 } + ["norm.weight", "norm.bias"]
        let predictor = ["predictor_embed.weight", "predictor_embed.bias", "mask_token"] + block.map { "predictor_blocks.0." + $0 }
            + ["predictor_norm.weight", "predictor_norm.bias", "predictor_proj.weight", "predictor_proj.bias"]
        var names = encoder.map { "encoder/" + $0 } + encoder.map { "target_encoder/" + $0 } + predictor.map { "predictor/" + $0 }
        for (module, tensors) in [("encoder", encoder), ("predictor", predictor)] {
            for moment in ["exp_avg", "exp_avg_sq"] { names += tensors.map { "optimizer/\(module)/\(moment)/\($0)" } }
        }
        return names
    }

    func testKilledProbeLeavesNoArtifactAndARerunCompletes() throws {
        let base = args(dir)
        XCTAssertEqual(try runToEnd("Prepare", base).status, 0)
        XCTAssertEqual(try runToEnd("Pretrain", base).status, 0)
        let probe = try launch("Probe", base)
        kill(probe) {
            // Staging of the I-JEPA probe itself (the baselines may finish first).
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/probe")) ?? []).contains { $0.hasPrefix(".tmp-") }
        }
        XCTAssertEqual(artifacts(dir, "probe"), [], "no artifact from the killed probe")
        let again = try runToEnd("Probe", base)
        XCTAssertEqual(again.status, 0, again.stderr)
        let done = artifacts(dir, "probe")
        XCTAssertEqual(done.count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/probe/\(done[0])/metrics.json"))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/probe").contains { $0.hasPrefix(".tmp-") },
                       "the rerun removed the killed run's staging folder")
    }

    func testFullDiskFailsPrepareWithAClearErrorAndNoArtifact() throws {
        let r = try runToEnd("Prepare", args(dir), fileSizeLimitKiB: 64)
        XCTAssertNotEqual(r.status, 0)
        let lines = r.stderr.split(separator: "\n").filter { $0.contains("error") }
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("File too large") && r.stderr.contains(".h5"), r.stderr)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(dir)/prepare")) ?? []
        XCTAssertEqual(names.filter { !$0.hasPrefix(".") }, [], "no artifact")
        XCTAssertEqual(names.filter { $0.hasPrefix(".tmp-") }, [], "no staging folder left")
    }

    func testFullDiskDuringACheckpointKeepsThePreviousCheckpoint() throws {
        let base = args(dir)
        XCTAssertEqual(try runToEnd("Prepare", base).status, 0)
        XCTAssertEqual(try runToEnd("Pretrain", base + ["--stop-after", "8"]).status, 0)
        let work = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain").first { $0.hasPrefix(".work-") })
        let checkpoint = "\(dir)/pretrain/\(work)/checkpoint.h5"
        XCTAssertEqual(try HDF5File(path: checkpoint).intAttribute("step"), 8)
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpoint))

        // The next checkpoint (step 16) does not fit: the run stops naming the file and the cause.
        let r = try runToEnd("Pretrain", base + ["--resume"], fileSizeLimitKiB: 64)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("checkpoint.h5") && r.stderr.contains("File too large"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: checkpoint)), before, "the previous checkpoint is intact")
        XCTAssertEqual(try HDF5File(path: checkpoint).intAttribute("step"), 8)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/pretrain/\(work)").filter { $0.contains(".tmp") }, [],
                       "no partial checkpoint left")
        XCTAssertEqual(artifacts(dir, "pretrain"), [])
        // With room again, the run resumes from it and completes.
        let done = try runToEnd("Pretrain", base + ["--resume"])
        XCTAssertEqual(done.status, 0, done.stderr)
        XCTAssertEqual(artifacts(dir, "pretrain").count, 1)
    }
}
