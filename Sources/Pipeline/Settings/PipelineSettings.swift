/// A whole pipeline file, typed: one group per section, in the official
/// I-JEPA section names (`data`, `mask`, `meta`, `optimization`, `logging`)
/// and ours (`prepare`, `probe`, `report`). `PipelineSettings()` is every
/// default; the key table, the loader's schema, "did you mean" and the
/// stages' artifact keys are all derived from these types.
public struct PipelineSettings: SettingsGroup {
    public var data = DataSettings()
    public var mask = MaskSettings()
    public var meta = MetaSettings()
    public var optimization = OptimizationSettings()
    public var logging = LoggingSettings()
    public var prepare = PrepareSettings()
    public var probe = ProbeSettings()
    public var report = ReportSettings()
    public init() {}

    public static let fields: [Field<Self>] = DataSettings.fields.map { $0.lifted(\Self.data) }
        + MaskSettings.fields.map { $0.lifted(\Self.mask) }
        + MetaSettings.fields.map { $0.lifted(\Self.meta) }
        + OptimizationSettings.fields.map { $0.lifted(\Self.optimization) }
        + LoggingSettings.fields.map { $0.lifted(\Self.logging) }
        + PrepareSettings.fields.map { $0.lifted(\Self.prepare) }
        + ProbeSettings.fields.map { $0.lifted(\Self.probe) }
        + ReportSettings.fields.map { $0.lifted(\Self.report) }

    /// Section names in file order.
    public static let sections: [String] = fields.reduce(into: []) { if !$0.contains($1.section) { $0.append($1.section) } }

    static let byPath: [String: Field<Self>] = Dictionary(uniqueKeysWithValues: fields.map { ($0.path, $0) })
    public static func field(_ path: String) -> Field<Self>? { byPath[path] }

    /// The rules between sections; each section's own rules run first
    /// (`validate`), so these see values that are each possible.
    public func crossCheck() throws(SettingError) {
        try data.crossCheck()
        try mask.crossCheck()
        try meta.crossCheck()
        try optimization.crossCheck()
        try logging.crossCheck()
        try prepare.crossCheck()
        try probe.crossCheck()
        try report.crossCheck()
        let crop = data.source.cropSize, patch = mask.patchSize
        if crop % patch != 0 {
            throw SettingError("data.crop_size", "\(crop) is not a multiple of mask.patch_size (\(patch))")
        }
        // Training samples masks; a run of no step (imported weights) does
        // not, and what samples them outside training checks them itself.
        if optimization.epochs > 0 { try mask.checkGeometry(grid: crop / patch) }
        if optimization.epochs == 0 && meta.checkpoint.initFrom == nil {
            throw SettingError("optimization.epochs", "0 trains nothing and meta.init_from imports nothing: set meta.init_from to probe a file's weights")
        }
        if probe.features.kind == .last4 && meta.encoder.dimensions.depth < 4 {
            throw SettingError("probe.features", "last4 needs an encoder of at least 4 blocks (meta.depth is \(meta.encoder.dimensions.depth))")
        }
    }

    /// meta.read_checkpoint as a path: a relative one is read from
    /// logging.folder when that is set (the official meaning), else from
    /// the working directory.
    public var readCheckpointPath: String? {
        guard let file = meta.checkpoint.readCheckpoint else { return nil }
        guard let folder = logging.folder, !file.hasPrefix("/") else { return file }
        return folder.hasSuffix("/") ? folder + file : folder + "/" + file
    }

    /// Every value as `{"mask.patch_size": 16, ...}`: what a checkpoint and
    /// a report record of the run's config.
    public var values: [String: JSON] {
        Dictionary(uniqueKeysWithValues: allEntries.map { ($0.path, $0.value) })
    }
}

extension PipelineSettings {
    /// Every key as a markdown table (docs/configuration.md, `Prepare --list-keys`).
    public static var markdownTable: String {
        var out = "| key | default | meaning | official I-JEPA |\n|---|---|---|---|\n"
        for f in fields {
            let d = f.required ? "required" : "`\(f.defaultValue.canonical)`"
            out += "| `\(f.path)` | \(d) | \(f.help) | \(f.official.tableText) |\n"
        }
        return out
    }
}
