import Foundation

/// The processor a number was computed on. The class is what changes our
/// speed by 2.4x (and bf16's availability): `avx512_bf16`, `avx2`, or
/// `other`, as `grep -o 'avx512_bf16\|avx2' /proc/cpuinfo` would tell.
public enum CPUInfo {
    public static var model: String { field("model name") ?? "unknown" }

    public static var cpuClass: String {
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        if flags.contains("avx512_bf16") { return "avx512_bf16" }
        if flags.contains("avx2") { return "avx2" }
        return "other"
    }

    /// "AMD EPYC 9R14, 2 CPUs".
    public static var summary: String { "\(model), \(ProcessInfo.processInfo.activeProcessorCount) CPUs" }

    /// The first line of /proc/cpuinfo starting with `name`, after its colon.
    static func field(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
