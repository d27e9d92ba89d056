import Foundation
import XCTest
@testable import Pipeline

/// The memory a stage plans with is the least of what the machine, the
/// cgroup and the process's rlimits leave.
final class MachineMemoryTests: XCTestCase {
    func testCgroupHeadroomIsMaxMinusCurrentAndNoneWithoutALimit() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/fs/job.slice", withIntermediateDirectories: true)
        try "0::/job.slice\n".write(toFile: "\(root)/self", atomically: true, encoding: .utf8)
        try "8589934592\n".write(toFile: "\(root)/fs/job.slice/memory.max", atomically: true, encoding: .utf8)
        try "1073741824\n".write(toFile: "\(root)/fs/job.slice/memory.current", atomically: true, encoding: .utf8)
        XCTAssertEqual(MachineMemory.cgroupHeadroom(root: "\(root)/fs", selfCgroup: "\(root)/self"), 7 * 1_073_741_824)
        try "max\n".write(toFile: "\(root)/fs/job.slice/memory.max", atomically: true, encoding: .utf8)
        XCTAssertNil(MachineMemory.cgroupHeadroom(root: "\(root)/fs", selfCgroup: "\(root)/self"))
        XCTAssertNil(MachineMemory.cgroupHeadroom(root: "\(root)/fs", selfCgroup: "\(root)/missing"))
    }

    func testStatusFieldsAndHeadroom() {
        let status = "Name:\tx\nVmSize:\t  204800 kB\nVmData:\t   1024 kB\n"
        XCTAssertEqual(MachineMemory.statusKiB(status, "VmSize"), 204_800)
        XCTAssertEqual(MachineMemory.statusKiB(status, "VmData"), 1024)
        XCTAssertNil(MachineMemory.statusKiB(status, "VmRSS"))
        XCTAssertEqual(MachineMemory.headroom(limit: 100, used: 30), 70)
        XCTAssertEqual(MachineMemory.headroom(limit: 100, used: 300), 0, "never negative")
    }

    /// Under `ulimit -v` the address-space limit binds and is named.
    func testAnAddressSpaceLimitBindsInAChildProcess() throws {
        let exe = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/Store").path
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: exe), "the debug Store build is missing")
        XCTAssertNotNil(MachineMemory.availability(), "MemAvailable at least")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        // 4 GiB of address space: less than this machine's MemAvailable on the test machines.
        p.arguments = ["-c", "ulimit -v 4194304 && exec \"$0\" memory", exe]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        guard let free = MachineMemory.memAvailable(), free > 4.5 * 1_073_741_824 else { return }
        XCTAssertTrue(text.contains("RLIMIT_AS (ulimit -v)"), text)
    }

    func testAnAllocationThatCannotBeMadeIsAOneLineErrorNamingTheKeys() throws {
        XCTAssertNoThrow(try MachineMemory.reserve(128 * 1_048_576, for: "a buffer", keys: "some.key"))
        // A petabyte: refused by the kernel even with overcommit on.
        XCTAssertThrowsError(try MachineMemory.reserve(1e15, for: "probe: raw pixels of train", keys: "probe.pixel_dims")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("probe: raw pixels of train: cannot allocate 931322.6 GiB now"), text)
            XCTAssertTrue(text.hasSuffix("; lower probe.pixel_dims"), text)
            XCTAssertFalse(text.contains("\n"))
        }
    }
}
