import Foundation
import Pipeline
import Preparation
import Pretraining
import Probing

/// The completed runs in a store (`make runs`): every probe artifact, with
/// the command that made it (its manifest's provenance), the settings that
/// differ from its pipeline file, its headline probes, and where and when it
/// pretrained. Like DVC's `exp show`, read from the store itself.
public enum RunCatalog {
    public struct Run: Sendable {
        public let probeKey: String
        public let pretrainKey: String
        /// The pipeline file, or "sweep-file variant V".
        public let source: String
        public let seed: Int?
        /// `key=value` for every value that differs from the pipeline file (seeds excluded).
        public let differing: [String]
        public let evalSplit: String
        /// Top-1 with all labels (NaN when not probed).
        public let linear: Double, knn: Double, initialLinear: Double, pixelsLinear: Double
        public let pretrainMinutes: Double
        public let cpuClass: String
        public let commit: String
        public let date: String
        /// Why today's files do not give this run's key (nil: they do).
        public let stale: String?
        /// The configuration its command gives today, when it still gives this run's key.
        let liveConfig: PipelineConfig?
    }

    /// The stage options a recorded command line gave.
    struct Command {
        var config = "pipelines/default.yaml", sweep: String? = nil, variant: Int? = nil, seed: Int? = nil
        var overrides: [String] = []

        init(_ argv: [String]) {
            var i = 1
            while i < argv.count {
                var name = argv[i], value: String? = nil
                if let eq = name.firstIndex(of: "="), name.hasPrefix("--") {
                    value = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                } else if i + 1 < argv.count {
                    value = argv[i + 1]
                }
                let consumed = argv[i].contains("=") && argv[i].hasPrefix("--") ? 1 : 2
                switch name {
                case "-c", "--config": config = value ?? config; i += consumed
                case "--sweep": sweep = value; i += consumed
                case "--variant": variant = value.flatMap { Int($0) }; i += consumed
                case "--seed": seed = value.flatMap { Int($0) }; i += consumed
                case "--set": if let value { overrides.append(value) }; i += consumed
                case "--artifacts", "--seeds": i += consumed
                default: i += 1
                }
            }
        }

        func load() throws -> (config: PipelineConfig, base: String, source: String) {
            if let sweep {
                let file = try SweepFile.load(path: sweep)
                let seeds = seed.map { s in file.seeds.contains(s) ? file.seeds : file.seeds + [s] }
                let c = try file.replicated(seeds).config(variant: variant ?? 0, seed: seed, extra: overrides)
                return (c, file.basePipeline, "\(sweep) variant \(variant ?? 0)")
            }
            if let seed {
                return (try SweepFile.replicates(of: config, seeds: [seed]).config(variant: 0, seed: seed, extra: overrides), config, config)
            }
            return (try PipelineConfig.load(path: config, overrides: overrides), config, config)
        }
    }

    /// Every probe artifact of the store, oldest first. Run from the folder
    /// the runs were made in, so their relative file names resolve.
    public static func list(store: ArtifactStore) -> [Run] {
        let dir = "\(store.root)/\(ProbeStage.name)"
        let keys = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }
        return keys.compactMap { run(probeKey: $0, store: store) }.sorted { $0.date < $1.date }
    }

    static func manifest(_ store: ArtifactStore, _ stage: String, _ key: String) -> JSON? {
        let path = "\(store.directory(stage: stage, key: key))/\(ArtifactStore.manifestName)"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSON.parse(data)
    }

    static func run(probeKey: String, store: ArtifactStore) -> Run? {
        guard let probe = manifest(store, ProbeStage.name, probeKey),
              let pretrainKey = probe["key_material"]?["upstream"]?[PretrainStage.name]?.stringValue else { return nil }
        let pretrain = manifest(store, PretrainStage.name, pretrainKey)
        let argv = (probe["provenance"]?["command"]?.arrayValue ?? []).compactMap(\.stringValue)
        let command = Command(argv)
        var differing: [String] = [], stale: String? = nil, live: PipelineConfig? = nil, seed = command.seed
        var source = command.sweep.map { "\($0) variant \(command.variant ?? 0)" } ?? command.config
        do {
            let (config, base, name) = try command.load()
            source = name
            // A replicate made by hand (--set meta.seed=S --set probe.seed=S) is seed S too.
            let bySet = SweepFile.seedKeys.map { k in command.overrides.last { $0.hasPrefix("\(k)=") }.map { String($0.dropFirst(k.count + 1)) } }
            if seed == nil, let m = bySet[0], bySet.allSatisfy({ $0 == m }) { seed = Int(m) }
            let baseValues = try PipelineConfig.load(path: base).values
            differing = config.values.keys.sorted().filter { k in
                !SweepFile.seedKeys.contains(k) && config.values[k]?.canonical != baseValues[k]?.canonical
            }.map { "\($0)=\(config.values[$0]!.canonical)" }
            if try ProbeStage.keyMaterial(config, store: store).key == probeKey {
                live = config
            } else {
                stale = "its files now give another key"
            }
        } catch {
            differing = command.overrides
            stale = "\(error)"
        }
        var metrics: ProbeMetrics? = nil
        if let m = try? ProbeStage.metrics(store: store, key: probeKey) { metrics = m }
        func top1(_ s: ProbeStage.Subject, _ c: String) -> Double {
            guard let m = metrics, let f = m.fractions.last else { return .nan }
            return m.result(s, c, f)?.top1 ?? .nan
        }
        let p = pretrain?["provenance"]
        return Run(probeKey: probeKey, pretrainKey: pretrainKey, source: source, seed: seed, differing: differing,
                   evalSplit: metrics?.evalSplit ?? "?", linear: top1(.ijepa, "linear"), knn: top1(.ijepa, "knn"),
                   initialLinear: top1(.randomInit, "linear"), pixelsLinear: top1(.pixels, "linear"),
                   pretrainMinutes: (pretrain?["timings"]?["total_s"]?.doubleValue ?? .nan) / 60,
                   cpuClass: p?["cpu_class"]?.stringValue ?? ResultsRegistry.sameHostCPU(p)?.cpuClass ?? "?", commit: String((p?["git_commit"]?.stringValue ?? "?").prefix(10)),
                   date: probe["created_utc"]?.stringValue ?? "", stale: stale, liveConfig: live)
    }

    /// The configurations of the runs whose recorded command still gives
    /// their key: what `make gc-list` counts as live besides the files.
    public static func liveConfigs(store: ArtifactStore) -> [PipelineConfig] {
        list(store: store).compactMap(\.liveConfig)
    }

    static let columns = ["probe", "source", "seed", "split", "linear", "knn", "init_linear", "pixels_linear", "pretrain_min",
                          "cpu_class", "commit", "date", "differs"]

    static func fields(_ r: Run) -> [String] {
        func pct(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", 100 * x) : "-" }
        return [r.probeKey, r.source, r.seed.map(String.init) ?? "", r.evalSplit, pct(r.linear), pct(r.knn), pct(r.initialLinear),
                pct(r.pixelsLinear), r.pretrainMinutes.isFinite ? String(format: "%.1f", r.pretrainMinutes) : "-", r.cpuClass,
                r.commit, String(r.date.prefix(16)),
                (r.differing.isEmpty ? "(the file's values)" : r.differing.joined(separator: " ")) + (r.stale.map { " [stale: \($0)]" } ?? "")]
    }

    public static func csv(_ runs: [Run]) -> String {
        ([columns] + runs.map(fields)).map { $0.map(CSV.field).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// Aligned columns for a terminal.
    public static func table(_ runs: [Run]) -> String {
        let rows = [columns] + runs.map(fields)
        let widths = (0..<columns.count - 1).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            zip(row.dropLast(), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                + "  " + row.last!
        }.joined(separator: "\n") + "\n"
    }

    /// The settings of two runs (probe keys or unique prefixes) that differ,
    /// stage by stage, from their artifacts' key material.
    public static func diff(_ a: String, _ b: String, store: ArtifactStore) throws -> [(key: String, a: String, b: String)] {
        let x = try settings(resolve(a, store), store), y = try settings(resolve(b, store), store)
        return Set(x.keys).union(y.keys).sorted().compactMap { k in
            x[k] == y[k] ? nil : (k, x[k] ?? "(none)", y[k] ?? "(none)")
        }
    }

    static func resolve(_ prefix: String, _ store: ArtifactStore) throws -> String {
        let keys = ((try? FileManager.default.contentsOfDirectory(atPath: "\(store.root)/\(ProbeStage.name)")) ?? [])
            .filter { !$0.hasPrefix(".") && $0.hasPrefix(prefix) }
        guard keys.count == 1 else {
            throw PipelineError("\(prefix): \(keys.isEmpty ? "no probe artifact" : "\(keys.count) probe artifacts") in \(store.root) with this key (make runs lists them)")
        }
        return keys[0]
    }

    /// "section.key (stage)" -> value, over the probe and its upstream artifacts.
    static func settings(_ probeKey: String, _ store: ArtifactStore) throws -> [String: String] {
        var out: [String: String] = [:]
        var pending = [(ProbeStage.name, probeKey)], seen = Set<String>()
        while let (stage, key) = pending.popLast() {
            guard seen.insert("\(stage)/\(key)").inserted else { continue }
            guard let m = manifest(store, stage, key)?["key_material"] else {
                throw PipelineError("\(store.directory(stage: stage, key: key)): no manifest")
            }
            var flat: [String: String] = [:]
            flatten(m["config"] ?? .null, prefix: "", into: &flat)
            flatten(m["parameters"] ?? .null, prefix: "parameters", into: &flat)
            for (k, v) in m["inputs"]?.objectValue ?? [:] { flat["inputs.\(k)"] = v.stringValue ?? v.canonical }
            for (k, v) in flat { out["\(k) (\(stage))"] = v }
            for (s, v) in m["upstream"]?.objectValue ?? [:] { if let k = v.stringValue { pending.append((s, k)) } }
        }
        return out
    }

    static func flatten(_ v: JSON, prefix: String, into out: inout [String: String]) {
        if let o = v.objectValue {
            for (k, x) in o { flatten(x, prefix: prefix.isEmpty ? k : "\(prefix).\(k)", into: &out) }
        } else if v != .null {
            out[prefix] = v.canonical
        }
    }
}
