import ArgumentParser
import Pipeline

/// The options every stage executable takes.
public struct StageOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Pipeline file.")
    public var config: String = "pipelines/default.yaml"

    @Option(name: .customLong("set"), help: "Override a config value: key=value (repeatable).")
    public var overrides: [String] = []

    @Option(help: "Artifact root folder.")
    public var artifacts: String = "artifacts"

    @Flag(help: "Recompute even when an up-to-date artifact exists.")
    public var force = false

    public init() {}

    public func loadConfig() throws -> PipelineConfig { try PipelineConfig.load(path: config, overrides: overrides) }
    public var store: ArtifactStore { ArtifactStore(root: artifacts) }
}
