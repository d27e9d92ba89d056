import Foundation

/// The processor a number was computed on. The class is what changes our
/// speed by 2.4x (and bf16's availability): `avx512_bf16`, `avx2`, or
/// `other`, as `grep -o 'avx512_bf16\|avx2' /proc/cpuinfo` would tell.
public enum CPUInfo {
    /// "AMD EPYC (family 26 model 2 stepping 1)": a VM's model name alone
    /// ("AMD EPYC") does not tell Zen 4 (family 25) from Zen 5 (family 26),
    /// whose bf16 results differ (docs/performance.md).
    public static var model: String { model(cpuinfo: cpuinfo ?? "") }

    static func model(cpuinfo text: String) -> String {
        let name = field("model name", in: text) ?? "unknown"
        guard let f = field("cpu family", in: text), let m = field("model", in: text),
              let s = field("stepping", in: text) else { return name }
        return "\(name) (family \(f) model \(m) stepping \(s))"
    }

    public static var cpuClass: String {
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        if flags.contains("avx512_bf16") { return "avx512_bf16" }
        if flags.contains("avx2") { return "avx2" }
        return "other"
    }

    /// "AMD EPYC 9R14, 2 CPUs".
    public static var summary: String { "\(model), \(ProcessInfo.processInfo.activeProcessorCount) CPUs" }

    static var cpuinfo: String? { try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) }

    /// The value of the first line of /proc/cpuinfo whose key is `name`.
    static func field(_ name: String) -> String? { cpuinfo.flatMap { field(name, in: $0) } }

    /// The value of the first `key : value` line of `text` whose key is
    /// `name` ("model" must not match "model name").
    static func field(_ name: String, in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name {
                return kv[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
