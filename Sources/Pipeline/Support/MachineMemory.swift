import Foundation

/// The memory a stage may plan with, for the checks that refuse a run
/// before it starts rather than meet the kernel's OOM killer.
public enum MachineMemory {
    /// MemAvailable of /proc/meminfo in bytes, nil where there is none.
    public static func available() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }

    /// Runtime, libraries and GEMM packing buffers: what every stage needs beside its data.
    public static let overhead = 0.5 * 1_073_741_824.0

    public static func gib(_ x: Double) -> String { String(format: "%.1f GiB", x / 1_073_741_824) }
}
