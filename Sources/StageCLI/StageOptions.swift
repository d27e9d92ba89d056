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

    @Option(help: "Replicate seed: sets meta.seed and probe.seed (with --sweep, one of its seeds).")
    public var seed: Int?

    @Option(help: ArgumentHelp("Replicate seeds, e.g. 0,1,2: the runs a report or Store command covers (replaces a sweep file's seeds:).",
                               valueName: "list"))
    public var seeds: String?

    @Flag(help: "Print the resolved configuration (the file, extends, --set, --seed and defaults) as YAML, and exit.")
    public var printConfig = false

    @Flag(help: "Print every pipeline config key with its default and meaning (markdown), and exit.")
    public var listKeys = false

    public init() {}

    /// Handles --list-keys and --print-config: true when one was given and
    /// printed (the executable then exits).
    public func printInformation() throws -> Bool {
        if listKeys {
            print(PipelineSettings.markdownTable)
            return true
        }
        if printConfig {
            print("# \(sweep.map { "\($0) variant \(variant.map(String.init) ?? "?")" } ?? config)\(seed.map { " seed \($0)" } ?? "")", terminator: "\n")
            print(try loadConfig().resolvedYAML, terminator: "")
            return true
        }
        return false
    }

    /// The exit codes of every stage program, for --help.
    public static let exitCodes = """
        Exit codes: 0 success (an up-to-date artifact included); 1 failure, with a one-line error on stderr naming \
        the file, key or artifact; 64 a usage error (unknown option, missing value); 130 or 143 interrupted by SIGINT or \
        SIGTERM (nothing half-written is left as an artifact). Log level: IJEPA_LOG_LEVEL=warning (or error) quiets the \
        progress lines, debug adds detail.
        """

    /// --seeds as integers, nil when not given.
    public func seedList() throws -> [Int]? {
        guard let seeds else { return nil }
        let parts = seeds.split(whereSeparator: { $0 == "," || $0 == " " })
        let ints = parts.compactMap { Int($0) }
        guard !parts.isEmpty, ints.count == parts.count else {
            throw PipelineError("--seeds \(seeds): give integers separated by commas, e.g. 0,1,2")
        }
        return ints
    }

    /// The one pipeline run these options name: a pipeline file, or a
    /// variant of a sweep, at a replicate seed when --seed is given.
    public func loadConfig() throws -> PipelineConfig {
        if let sweep {
            guard let variant else { throw PipelineError("--sweep \(sweep): also give --variant N") }
            return try SweepFile.load(path: sweep).replicated(try seedList()).config(variant: variant, seed: seed, extra: overrides)
        }
        if variant != nil { throw PipelineError("--variant: only with --sweep") }
        if let seed {
            return try SweepFile.replicates(of: config, seeds: [seed]).config(variant: 0, seed: seed, extra: overrides)
        }
        return try PipelineConfig.load(path: config, overrides: overrides)
    }

    /// The runs a report covers: every variant and seed of --sweep, or the
    /// pipeline at each of --seeds; nil for a single pipeline run.
    public func loadRuns() throws -> SweepFile? {
        if let sweep { return try SweepFile.load(path: sweep).replicated(try seedList()) }
        if let seeds = try seedList() { return try SweepFile.replicates(of: config, seeds: seeds, overrides: overrides) }
        return nil
    }
    public var store: ArtifactStore { ArtifactStore(root: artifacts) }
}
