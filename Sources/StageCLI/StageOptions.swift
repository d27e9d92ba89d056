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

    @Option(help: "Sweep file: run one of its variants (see --variant) instead of --config.")
    public var sweep: String?

    @Option(help: "Variant index of --sweep (0-based).")
    public var variant: Int?

    public init() {}

    public func loadConfig() throws -> PipelineConfig {
        if let sweep {
            guard let variant else { throw PipelineError("--sweep \(sweep): also give --variant N") }
            return try SweepFile.load(path: sweep).config(variant: variant, extra: overrides)
        }
        if variant != nil { throw PipelineError("--variant: only with --sweep") }
        return try PipelineConfig.load(path: config, overrides: overrides)
    }
    public var store: ArtifactStore { ArtifactStore(root: artifacts) }
}
