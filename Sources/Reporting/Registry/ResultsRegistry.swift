import Foundation
import Pipeline
import Preparation
import Pretraining
import Probing

/// results/registry.csv: one row per recorded run, the evidence behind every
/// number in README.md and docs/results.md. `Store record` writes the rows
/// from the artifacts (never by hand); a test recomputes each row's artifact
/// keys from its pipeline or sweep file, so a changed default that silently
/// changes an old experiment fails `make test`.
public enum ResultsRegistry {
    public static let defaultPath = "results/registry.csv"

    /// One run: what to run again (source, variant, seed, overrides), the
    /// keys it had, where and on what it ran, and its headline numbers.
    public struct Entry: Equatable, Sendable {
        /// "pipeline" or "sweep".
        public var kind: String
        /// The pipeline or sweep file, as given to the stages.
        public var source: String
        public var variant: Int
        /// The replicate seed; nil for a run at the file's own seeds.
        public var seed: Int?
        /// Extra `--set` overrides, space-separated `key=value`.
        public var overrides: [String]
        public var label: String
        public var command: String
        public var prepareKey: String, pretrainKey: String, probeKey: String
        public var commit: String
        public var cpuClass: String
        public var cpuModel: String
        /// The run's GEMM fingerprint (`NumericsBench --bf16-arithmetic`
        /// prints a machine's): a digit-for-digit reproduction needs a
        /// machine with the same one; "unknown" for runs made before it was
        /// recorded.
        public var gemmFingerprint: String
        public var evalSplit: String
        public var evalImages: Int
        /// Probe top-1 (fractions of 1) by column name, e.g. "ijepa_linear_100pct".
        public var metrics: [String: Double]
        public var pretrainMinutes: Double
        /// When the Pretrain artifact was finished (its manifest's time).
        public var finished: String

        /// The identity of a row: recording the same run again replaces it.
        var identity: String { [kind, source, "\(variant)", seed.map(String.init) ?? "", overrides.joined(separator: " ")].joined(separator: "|") }
    }

    static let metricColumns: [String] = ProbeStage.Subject.allCases.flatMap { s in
        ["linear", "knn"].flatMap { k in ["1pct", "10pct", "100pct"].map { "\(s.rawValue)_\(k)_\($0)" } }
    }
    static let columns = ["kind", "source", "variant", "seed", "set", "label", "command", "prepare_key", "pretrain_key",
                          "probe_key", "commit", "cpu_class", "cpu_model", "gemm_fingerprint", "eval_split", "eval_images"]
        + metricColumns + ["pretrain_min", "finished"]
    /// The header before `gemm_fingerprint`: such a file still reads (its rows "unknown").
    static let columnsWithoutFingerprint = columns.filter { $0 != "gemm_fingerprint" }

    public static func read(_ path: String) throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw PipelineError("\(path): cannot read") }
        let rows = CSV.rows(text)
        guard let header = rows.first else { return [] }
        guard header == columns || header == columnsWithoutFingerprint else {
            throw PipelineError("\(path): the header is not the registry's (\(columns.count) columns from kind to finished)")
        }
        return try rows.dropFirst().enumerated().map { i, r in
            guard r.count == header.count else {
                throw PipelineError("\(path):\(i + 2): \(r.count) fields, the header has \(header.count)")
            }
            var f: [String: String] = ["gemm_fingerprint": "unknown"]
            for (c, v) in zip(header, r) { f[c] = v }
            guard let variant = Int(f["variant"]!), let images = Int(f["eval_images"]!) else {
                throw PipelineError("\(path):\(i + 2): variant and eval_images must be integers")
            }
            var metrics: [String: Double] = [:]
            for c in metricColumns { if let v = Double(f[c]!) { metrics[c] = v } }
            return Entry(kind: f["kind"]!, source: f["source"]!, variant: variant, seed: Int(f["seed"]!),
                         overrides: f["set"]!.split(separator: " ").map(String.init), label: f["label"]!,
                         command: f["command"]!, prepareKey: f["prepare_key"]!, pretrainKey: f["pretrain_key"]!,
                         probeKey: f["probe_key"]!, commit: f["commit"]!, cpuClass: f["cpu_class"]!, cpuModel: f["cpu_model"]!,
                         gemmFingerprint: f["gemm_fingerprint"]!,
                         evalSplit: f["eval_split"]!, evalImages: images, metrics: metrics,
                         pretrainMinutes: Double(f["pretrain_min"]!) ?? .nan, finished: f["finished"]!)
        }
    }

    public static func write(_ entries: [Entry], to path: String) throws {
        var out = columns.joined(separator: ",") + "\n"
        for e in entries {
            var row = [e.kind, e.source, "\(e.variant)", e.seed.map(String.init) ?? "", e.overrides.joined(separator: " "), e.label,
                       e.command, e.prepareKey, e.pretrainKey, e.probeKey, e.commit, e.cpuClass, e.cpuModel, e.gemmFingerprint, e.evalSplit,
                       "\(e.evalImages)"]
            row += metricColumns.map { e.metrics[$0].map { String(format: "%.4f", $0) } ?? "" }
            row += [e.pretrainMinutes.isFinite ? String(format: "%.1f", e.pretrainMinutes) : "", e.finished]
            out += row.map(CSV.field).joined(separator: ",") + "\n"
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(out.utf8)) else { throw PipelineError("\(tmp): cannot write") }
        // rename(2): readers see the old registry or the new one, never half.
        guard rename(tmp, path) == 0 else {
            try? FileManager.default.removeItem(atPath: tmp)
            throw PipelineError("\(path): cannot replace it: \(String(cString: strerror(errno)))")
        }
    }

    /// `existing` with `new` rows added; a row of the same run (source,
    /// variant, seed, overrides) is replaced. Sorted for stable diffs.
    public static func merged(_ existing: [Entry], _ new: [Entry]) -> [Entry] {
        var byIdentity: [String: Entry] = [:]
        for e in existing + new { byIdentity[e.identity] = e }
        return byIdentity.values.sorted { ($0.source, $0.overrides.joined(), $0.variant, $0.seed ?? -1) < ($1.source, $1.overrides.joined(), $1.variant, $1.seed ?? -1) }
    }

    /// Rows for the runs of a sweep (every variant at every seed), of a
    /// pipeline's replicates, or of one pipeline run; every artifact must be built.
    public static func entries(sweep: SweepFile?, config: PipelineConfig?, seed: Int?, overrides: [String],
                               store: ArtifactStore) throws -> [Entry] {
        let runs: [RunRecord]
        let kind: String, source: String
        if let sweep {
            runs = try RunRecord.all(sweep, overrides: overrides, store: store)
            let replicates = sweep.axes.isEmpty && sweep.path == sweep.basePipeline
            kind = replicates ? "pipeline" : "sweep"
            source = sweep.path
        } else if let config {
            runs = [try RunRecord(index: 0, seed: seed, label: "", assignment: [], config: config, store: store)]
            kind = "pipeline"
            source = config.source
        } else {
            throw PipelineError("record: needs --config or --sweep")
        }
        return runs.map { r in
            let p = r.pretrainManifest["provenance"]
            var metrics: [String: Double] = [:]
            for s in ProbeStage.Subject.allCases { for k in ["linear", "knn"] { for f in [0.01, 0.1, 1.0] {
                let v = r.top1(s, k, f)
                if v.isFinite { metrics["\(s.rawValue)_\(k)_\(ResultsTable.percentName(f))"] = v }
            } } }
            let dirty = p?["git_dirty"]?.boolValue ?? false
            return Entry(kind: kind, source: source, variant: r.index, seed: r.seed, overrides: overrides, label: r.label,
                         command: command(kind: kind, source: source, variant: r.index, seed: r.seed, overrides: overrides),
                         prepareKey: r.prepareKey, pretrainKey: r.pretrainKey, probeKey: r.probeKey,
                         commit: (p?["git_commit"]?.stringValue ?? "unknown") + (dirty ? "+dirty" : ""),
                         cpuClass: p?["cpu_class"]?.stringValue ?? sameHostCPU(p)?.cpuClass ?? "unknown",
                         cpuModel: p?["cpu_model"]?.stringValue ?? sameHostCPU(p)?.model ?? "unknown",
                         gemmFingerprint: p?["tools"]?["gemm_fingerprint"]?.stringValue ?? "unknown",
                         evalSplit: r.metrics.evalSplit, evalImages: r.evalImages, metrics: metrics,
                         pretrainMinutes: r.wallSeconds(r.pretrainManifest) / 60,
                         finished: r.pretrainManifest["created_utc"]?.stringValue ?? "")
        }
    }

    /// An artifact made before provenance recorded the CPU: this machine's,
    /// when the artifact was made on this very host (same hostname).
    static func sameHostCPU(_ provenance: JSON?) -> (cpuClass: String, model: String)? {
        guard provenance?["host"]?.stringValue == ProcessInfo.processInfo.hostName else { return nil }
        return (CPUInfo.cpuClass, CPUInfo.model)
    }

    /// The command that runs this one run (the stages reuse what is built).
    static func command(kind: String, source: String, variant: Int, seed: Int?, overrides: [String]) -> String {
        let set = overrides.isEmpty ? "" : " SET=\"" + overrides.map { "--set \($0)" }.joined(separator: " ") + "\""
        if kind == "sweep" {
            return "make sweep-run-\(SweepFile.Run(variant: variant, seed: seed).name) SWEEP=\(source)\(set)"
        }
        return "make all PIPELINE=\(source)" + (seed.map { " SEEDS=\($0)" } ?? "") + set
    }

    /// The configuration a row's run had, rebuilt from its file today.
    public static func config(of e: Entry) throws -> PipelineConfig {
        switch e.kind {
        case "sweep":
            let sweep = try SweepFile.load(path: e.source)
            return try sweep.replicated(e.seed.map { s in sweep.seeds.contains(s) ? sweep.seeds : sweep.seeds + [s] })
                .config(variant: e.variant, seed: e.seed, extra: e.overrides)
        case "pipeline":
            guard let seed = e.seed else { return try PipelineConfig.load(path: e.source, overrides: e.overrides) }
            return try SweepFile.replicates(of: e.source, seeds: [seed]).config(variant: 0, seed: seed, extra: e.overrides)
        default:
            throw PipelineError("registry: kind '\(e.kind)' is neither pipeline nor sweep")
        }
    }

    /// The artifact keys a row's run would have today.
    public static func keys(of e: Entry, store: ArtifactStore) throws -> (prepare: String, pretrain: String, probe: String) {
        let material = try ProbeStage.keyMaterial(try config(of: e), store: store)
        return (material.upstreamKey(PrepareStage.self), material.upstreamKey(PretrainStage.self), material.key)
    }
}
