import Foundation
import Pipeline
import Probing

/// Report: markdown, CSV and figures from the artifacts of a pipeline or of
/// every variant of a sweep, under artifacts/report/<key>/. The key covers
/// the report section and each run's probe key (which covers pretrain and
/// prepare), so a report is rebuilt exactly when a number in it changes.
public enum ReportStage {
    public static let name = "report"
    /// 2: notes, per-variant baselines, label fraction in the answer.
    /// 3: replicates (means, intervals, paired differences), results.csv's row and seed columns.
    public static let formatVersion = 3

    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false) throws -> StageOutcome {
        let run = try RunRecord(index: 0, label: "", assignment: [], config: config, store: store)
        return try build(runs: [run], sweep: nil, config: config, store: store, force: force)
    }

    /// `overrides`: the `--set` values the variants ran with (make sweep SET=...).
    public static func run(sweep: SweepFile, overrides: [String] = [], store: ArtifactStore,
                           force: Bool = false) throws -> StageOutcome {
        let runs = try RunRecord.all(sweep, overrides: overrides, store: store)
        return try build(runs: runs, sweep: sweep, config: runs[0].config, store: store, force: force)
    }

    static func material(runs: [RunRecord], sweep: SweepFile?, config: PipelineConfig) -> ArtifactKeyMaterial {
        var upstream: [String: String] = [:]
        for r in runs { upstream["probe-\(r.runName)"] = r.probeKey }
        var inputs: [String: String] = [:]
        if let sweep {
            // Seeds and the reference enter only when given, so the key of
            // a sweep without them is what it was before they existed.
            var lines = (0..<sweep.variantCount).map(sweep.label)
            if !sweep.seeds.isEmpty { lines.append("seeds \(sweep.seeds) reference \(sweep.reference.map(String.init) ?? "none")") }
            inputs["sweep"] = Digest.sha256Hex(lines.joined(separator: "\n"))
        }
        return ArtifactKeyMaterial(stage: name, formatVersion: formatVersion,
                                   settings: config.settings.report, upstream: upstream, inputs: inputs)
    }

    static func key(runs: [RunRecord], sweep: SweepFile?, config: PipelineConfig) throws -> String {
        material(runs: runs, sweep: sweep, config: config).key
    }

    /// Through the same driver as every stage: the key material is built
    /// here (over each run's probe key) rather than from one configuration.
    static func build(runs: [RunRecord], sweep: SweepFile?, config: PipelineConfig, store: ArtifactStore,
                      force: Bool) throws -> StageOutcome {
        let material = material(runs: runs, sweep: sweep, config: config)
        let shown = "\(store.directory(stage: name, key: material.key))/report.md"
        return try StageDriver.run(material: material, config: config, store: store, force: force, log: Console.logger(name),
                                   shown: shown) { _, folder in
            try write(runs: runs, sweep: sweep, config: config, into: folder)
        }
    }

    /// The report's files: report.md, results.csv, the figures and one mask figure per variant.
    static func write(runs: [RunRecord], sweep: SweepFile?, config: PipelineConfig, into folder: String) throws -> StageResult {
        let figures = try ReportFigures.write(runs, sweep: sweep, to: folder)
        var masks: [(String, String)] = []
        // One mask figure per variant: the seeds of a variant differ only in which masks.
        for r in runs where r.seed == nil || r.seed == runs.first(where: { $0.index == r.index })?.seed {
            let file = runs.count == 1 ? "masks.png" : "masks-\(r.index).png"
            // A run of imported weights (no step) has no masks to show.
            guard FileManager.default.fileExists(atPath: "\(r.pretrainDir)/masks.png") else { continue }
            try FileManager.default.copyItem(atPath: "\(r.pretrainDir)/masks.png", toPath: "\(folder)/\(file)")
            masks.append((file, r.label))
        }
        let md = ReportMarkdown.render(title: config.settings.report.title, runs: runs, sweep: sweep, figures: figures,
                                       masks: masks, environment: environment(runs[0]))
        try save(md, "\(folder)/report.md")
        try save(ResultsTable.csv(runs, sweep: sweep), "\(folder)/results.csv")
        return StageResult(counts: ["runs": runs.count])
    }

    /// Where the numbers were computed (the pretrain artifact's provenance)
    /// and the machine the report was made on.
    static func environment(_ r: RunRecord) -> [(String, String)] {
        let p = r.pretrainManifest["provenance"]
        var e: [(String, String)] = [
            ("CPU (report host)", CPUInfo.summary),
            ("CPU class (pretrain)", p?["cpu_class"]?.stringValue ?? "not recorded"),
            ("cores used by pretraining", "\(r.pretrainManifest["details"]?["threads"]?.intValue ?? 0) threads of \(p?["cpus"]?.intValue ?? 0) CPUs"),
            ("git commit (pretrain)", (p?["git_commit"]?.stringValue ?? "?") + ((p?["git_dirty"]?.boolValue ?? false) ? " (uncommitted changes)" : "")),
        ]
        for (k, v) in (p?["tools"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            e.append((k, v.stringValue ?? v.canonical))
        }
        for (k, v) in (r.prepareManifest["provenance"]?["tools"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key })
        where !e.contains(where: { $0.0 == k }) {
            e.append((k, v.stringValue ?? v.canonical))
        }
        return e
    }

    static func save(_ text: String, _ path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw PipelineError("\(path): cannot write")
        }
    }
}
