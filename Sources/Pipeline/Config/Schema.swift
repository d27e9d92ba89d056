/// Every key a pipeline file may contain. Section and key names follow the
/// official I-JEPA configs (`data`, `mask`, `meta`, `optimization`,
/// `logging`); `prepare`, `probe` and `report` are ours. A key not listed
/// here is an error, so a typo never silently falls back to a default.
public enum PipelineSchema {
    public static let keys: [ConfigKey] = dataKeys + maskKeys + metaKeys + optimizationKeys
        + loggingKeys + prepareKeys + probeKeys + reportKeys

    public static let sections: [String] = ["data", "mask", "meta", "optimization", "logging",
                                            "prepare", "probe", "report"]

    static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    public static func key(_ path: String) -> ConfigKey? { byPath[path] }

    /// Keys whose values only make sense together.
    static func crossCheck(_ v: [String: JSON]) -> (String, String)? {
        let crop = v["data.crop_size"]!.intValue!
        let patch = v["mask.patch_size"]!.intValue!
        if crop % patch != 0 {
            return ("data.crop_size", "\(crop) is not a multiple of mask.patch_size (\(patch))")
        }
        return nil
    }
}

extension PipelineSchema {
    /// Every key as a markdown table (docs/configuration.md, `Prepare --list-keys`).
    public static var markdownTable: String {
        var out = "| key | default | meaning |\n|---|---|---|\n"
        for k in keys {
            let d = k.defaultValue.map { "`\($0.canonical)`" } ?? "required"
            out += "| `\(k.path)` | \(d) | \(k.help) |\n"
        }
        return out
    }
}
