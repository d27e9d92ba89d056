import Foundation

/// Where an artifact came from: the code's git commit, the toolchain and the
/// libraries that computed it.
public enum Provenance {
    public static func current(tools: [String: String]) -> JSON {
        var t = tools.mapValues { JSON.string($0) }
        t["swift"] = .string(swiftVersion)
        let git = gitState()
        return .object([
            "git_commit": .string(git.commit),
            "git_dirty": git.dirty.map { .bool($0) } ?? .null,
            "tools": .object(t),
            "host": .string(ProcessInfo.processInfo.hostName),
            "cpus": .int(ProcessInfo.processInfo.activeProcessorCount),
            "cpu_model": .string(CPUInfo.model),
            "cpu_class": .string(CPUInfo.cpuClass),
            "command": .array(CommandLine.arguments.map { .string($0) }),
        ])
    }

    static var swiftVersion: String {
        #if compiler(>=6.4)
        return ">=6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// The commit of the checkout the running executable was built in (found
    /// from the executable's path, so it does not matter where it runs from).
    static func gitState() -> (commit: String, dirty: Bool?) {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path) { break }
            dir = dir.deletingLastPathComponent()
        }
        guard dir.path != "/" else { return ("unknown", nil) }
        guard let commit = run("/usr/bin/env", ["git", "-C", dir.path, "rev-parse", "HEAD"]) else {
            return ("unknown", nil)
        }
        let status = run("/usr/bin/env", ["git", "-C", dir.path, "status", "--porcelain", "--untracked-files=no"])
        return (commit.trimmingCharacters(in: .whitespacesAndNewlines), status.map { !$0.isEmpty })
    }

    private static func run(_ exe: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
