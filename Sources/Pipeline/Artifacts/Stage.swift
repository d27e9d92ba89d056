/// One stage of the pipeline, as the store sees it: its name and format
/// version, the stages whose artifacts it reads, what of the configuration
/// it reads (its `Inputs`), and the digests of what it reads outside the
/// store. Its artifact
/// key is derived from these alone (`keyMaterial`), so no stage computes a
/// key its own way. Report is not one: it is built over many runs (a
/// sweep's variants) and keys on each run's probe.
public protocol Stage {
    associatedtype Inputs: StageInputs
    static var name: String { get }
    /// Bump when the artifact's content or layout changes for the same inputs.
    static var formatVersion: Int { get }
    /// The stages whose artifacts this one reads; their keys enter its key.
    static var upstream: [any Stage.Type] { get }
    /// What of the config this stage reads.
    static func inputs(_ settings: PipelineSettings) -> Inputs
    /// Content digests of what the stage reads from outside the store (a
    /// data folder, a checkpoint file), by name.
    static func sourceDigests(_ config: PipelineConfig, store: ArtifactStore) throws -> [String: String]
    /// Artifacts a run of the stage publishes besides its own (the probe's
    /// baselines and feature caches), for verify and gc-list.
    static func auxiliaryArtifacts(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String)]
}

extension Stage {
    public static func sourceDigests(_ config: PipelineConfig, store: ArtifactStore) throws -> [String: String] { [:] }
    public static func auxiliaryArtifacts(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String)] { [] }

    /// What this stage's artifact for `config` is a function of, without doing the work.
    public static func keyMaterial(_ config: PipelineConfig, store: ArtifactStore) throws -> ArtifactKeyMaterial {
        var keys: [String: String] = [:]
        for stage in upstream { keys[stage.name] = try stage.keyMaterial(config, store: store).key }
        return ArtifactKeyMaterial(stage: name, formatVersion: formatVersion, settings: inputs(config.settings),
                                   upstream: keys, inputs: try sourceDigests(config, store: store))
    }

    /// (stage, key) of every artifact a run of this stage publishes for `config`.
    public static func artifacts(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String)] {
        [(name, try keyMaterial(config, store: store).key)] + (try auxiliaryArtifacts(config, store: store))
    }
}

extension ArtifactKeyMaterial {
    /// The key of the upstream artifact of `stage` this one was keyed on
    /// (typed by stage, so no caller spells a stage's name).
    public func upstreamKey(_ stage: any Stage.Type) -> String {
        guard let key = upstream[stage.name] else {
            preconditionFailure("\(self.stage) has no upstream \(stage.name): its Stage.upstream lists the stages it keys on")
        }
        return key
    }
}
