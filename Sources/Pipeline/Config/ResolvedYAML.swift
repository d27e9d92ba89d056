extension PipelineConfig {
    /// Every value the stages use (file values, `extends`, overrides and
    /// defaults) as YAML, section by section in the official order: what
    /// `--print-config` prints and a report's configuration block holds.
    public var resolvedYAML: String {
        func order(_ key: String) -> (Int, String) {
            let s = String(key.split(separator: ".")[0])
            return (PipelineSettings.sections.firstIndex(of: s) ?? 99, key)
        }
        var yaml = "", section = ""
        for k in values.keys.sorted(by: { order($0) < order($1) }) {
            let parts = k.split(separator: ".", maxSplits: 1).map(String.init)
            if parts[0] != section {
                section = parts[0]
                yaml += "\(section):\n"
            }
            yaml += "  \(parts[1]): \(values[k]!.canonical)\n"
        }
        return yaml
    }
}
