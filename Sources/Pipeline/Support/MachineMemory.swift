import Foundation

/// The memory a stage may plan with, for the checks that refuse a run
/// before it starts rather than meet the kernel's OOM killer or a failed
/// allocation: the least of the machine's available memory, the headroom
/// under this process's cgroup v2 `memory.max`, and the headroom under its
/// `RLIMIT_AS` (`ulimit -v`) and `RLIMIT_DATA` (`ulimit -d`).
public enum MachineMemory {
    public struct Availability: Sendable, Equatable {
        public let bytes: Double
        /// Which limit binds, e.g. "MemAvailable" or "RLIMIT_AS (ulimit -v)".
        public let limit: String
        public var description: String { "\(MachineMemory.gib(bytes)) (\(limit))" }
    }

    /// The binding limit now, nil where none can be read.
    public static func availability() -> Availability? {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        var limits: [Availability] = []
        if let a = memAvailable() { limits.append(Availability(bytes: a, limit: "MemAvailable")) }
        if let c = cgroupHeadroom() { limits.append(Availability(bytes: c, limit: "cgroup memory.max")) }
        for (resource, field, name) in [(__rlimit_resource_t(RLIMIT_AS.rawValue), "VmSize", "RLIMIT_AS (ulimit -v)"),
                                        (__rlimit_resource_t(RLIMIT_DATA.rawValue), "VmData", "RLIMIT_DATA (ulimit -d)")] {
            var r = rlimit()
            // RLIM_INFINITY is all ones.
            guard getrlimit(resource, &r) == 0, r.rlim_cur != rlim_t.max else { continue }
            if let h = headroom(limit: Double(r.rlim_cur), used: statusKiB(status, field).map { $0 * 1024 } ?? 0) {
                limits.append(Availability(bytes: h, limit: name))
            }
        }
        return limits.min { $0.bytes < $1.bytes }
    }

    /// A stage's estimated peak against what this process may use now: a
    /// one-line error naming the stage, the estimate and `remedy` when it
    /// does not fit, else the line to log (nil when no limit can be read).
    public static func check(stage: String, needs total: Double, summary: String, remedy: String) throws -> String? {
        guard let available = availability() else { return nil }
        guard total <= available.bytes else {
            throw PipelineError("\(stage) needs \(summary) but \(available.description) is available: \(remedy)")
        }
        return "memory: \(summary) of \(available.description) available"
    }

    /// The binding limit's bytes (see `availability`).
    public static func available() -> Double? { availability()?.bytes }

    /// MemAvailable of /proc/meminfo in bytes.
    static func memAvailable() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return statusKiB(text, "MemAvailable").map { $0 * 1024 }
    }

    /// memory.max minus memory.current of this process's cgroup (v2), nil
    /// without one or without a limit ("max").
    static func cgroupHeadroom(root: String = "/sys/fs/cgroup", selfCgroup: String = "/proc/self/cgroup") -> Double? {
        guard let text = try? String(contentsOfFile: selfCgroup, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let dir = root + String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces)
        func read(_ file: String) -> String? {
            (try? String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let max = read("memory.max").flatMap(Double.init) else { return nil }  // "max": no limit
        return headroom(limit: max, used: read("memory.current").flatMap(Double.init) ?? 0)
    }

    /// What is left under a limit, never negative.
    static func headroom(limit: Double, used: Double) -> Double? { Swift.max(0, limit - used) }

    /// "Field:   1234 kB" of /proc/self/status or /proc/meminfo, in KiB.
    static func statusKiB(_ text: String, _ field: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
    }

    /// Runtime, libraries and GEMM packing buffers: what every stage needs beside its data.
    public static let overhead = 0.5 * 1_073_741_824.0

    public static func gib(_ x: Double) -> String { String(format: "%.1f GiB", x / 1_073_741_824) }

    /// Checks, just before a buffer that grows with the data is allocated,
    /// that this process can get `bytes` now (under `ulimit -v` a large
    /// allocation fails cleanly): Swift stops the process on a failed
    /// allocation, so this turns the likely failures into a one-line error
    /// naming `what` and the keys that shrink it. Small buffers pass unchecked.
    public static func reserve(_ bytes: Double, for what: String, keys: String) throws {
        guard bytes >= 64 * 1_048_576 else { return }
        if bytes < Double(Int.max), let p = malloc(Int(bytes)) {
            free(p)
            return
        }
        let limit = availability().map { " (\($0.description) available)" } ?? ""
        throw PipelineError("\(what): cannot allocate \(gib(bytes)) now\(limit); lower \(keys)")
    }
}
