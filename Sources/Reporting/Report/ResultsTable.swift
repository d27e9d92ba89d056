import Foundation
import Pipeline
import Probing

/// results.csv: one row per run, with every config value that differs
/// between runs, the artifact keys, probe top-1 per subject, classifier and
/// label fraction, the end-of-training loss and collapse monitor, speed
/// and wall times. A sweep over seeds adds, per variant, aggregate rows
/// (`row` = n, mean, sd, ci95_low, ci95_high, and diff_mean, diff_ci95_low,
/// diff_ci95_high against the reference variant, paired by seed) whose
/// probe columns hold that statistic.
enum ResultsTable {
    static let classifiers = ["linear", "knn"]

    /// Config keys whose value is not the same in every run.
    static func differingKeys(_ runs: [RunRecord]) -> [String] {
        guard let first = runs.first else { return [] }
        return first.config.values.keys.sorted().filter { k in
            runs.contains { $0.config.values[k]?.canonical != first.config.values[k]?.canonical }
        }
    }

    static func columns(_ runs: [RunRecord]) -> [String] {
        let fractions = runs.first?.fractions ?? []
        var c = ["row", "variant", "seed", "label"] + differingKeys(runs) + ["prepare_key", "pretrain_key", "probe_key", "eval_split", "eval_images"]
        for s in ProbeStage.Subject.allCases { for k in classifiers { for f in fractions { c.append("\(s.rawValue)_\(k)_\(percentName(f))") } } }
        return c + ["loss_first", "loss_last", "feature_std_last", "curve_knn_first", "curve_knn_last",
                    "pretrain_images_per_s", "prepare_wall_s",
                    "pretrain_wall_s", "probe_wall_s"]
    }

    static func csv(_ runs: [RunRecord], sweep: SweepFile? = nil) -> String {
        let cols = columns(runs), keys = differingKeys(runs), fractions = runs.first?.fractions ?? []
        var out = cols.map(CSV.field).joined(separator: ",") + "\n"
        for r in runs {
            var row = ["run", "\(r.index)", r.seed.map(String.init) ?? "", r.label] + keys.map { r.config.values[$0]?.canonical ?? "" }
            row += [r.prepareKey, r.pretrainKey, r.probeKey, r.metrics.evalSplit, "\(r.evalImages)"]
            for s in ProbeStage.Subject.allCases { for k in classifiers { for f in fractions { row.append(number(r.top1(s, k, f))) } } }
            row += [number(r.log.rows.first?.loss ?? .nan), number(r.finalLoss), number(r.finalFeatureStd),
                    number(r.curveFirst), number(r.curveLast), number(r.pretrainImagesPerSecond), number(r.wallSeconds(r.prepareManifest)),
                    number(r.wallSeconds(r.pretrainManifest)), number(r.wallSeconds(r.probeManifest))]
            out += row.map(CSV.field).joined(separator: ",") + "\n"
        }
        if let sweep, !sweep.seeds.isEmpty { out += aggregates(runs, sweep: sweep, columns: cols.count) }
        return out
    }

    /// Per variant, one row per statistic over its seeds.
    static func aggregates(_ runs: [RunRecord], sweep: SweepFile, columns: Int) -> String {
        let summary = ReplicateSummary(runs, reference: sweep.reference, seeds: sweep.seeds)
        let keys = differingKeys(runs), fractions = runs.first?.fractions ?? []
        let stats: [(String, (Int, ReplicateSummary.Metric) -> Double)] = [
            ("n", { Double(summary.estimate($0, $1).n) }),
            ("mean", { summary.estimate($0, $1).mean }),
            ("sd", { summary.estimate($0, $1).sd }),
            ("ci95_low", { summary.estimate($0, $1).low }),
            ("ci95_high", { summary.estimate($0, $1).high }),
            ("diff_mean", { summary.difference($0, $1).mean }),
            ("diff_ci95_low", { summary.difference($0, $1).low }),
            ("diff_ci95_high", { summary.difference($0, $1).high }),
        ]
        var out = ""
        for v in summary.variants {
            guard let r = summary.runs[v]?.first else { continue }
            for (name, stat) in stats {
                var row = [name, "\(v)", "", r.label] + keys.map { k in
                    SweepFile.seedKeys.contains(k) ? "" : r.config.values[k]?.canonical ?? ""
                }
                row += ["", "", "", r.metrics.evalSplit, "\(r.evalImages)"]
                for s in ProbeStage.Subject.allCases { for k in classifiers { for f in fractions {
                    row.append(number(stat(v, .init(subject: s, classifier: k, fraction: f))))
                } } }
                row += Array(repeating: "", count: columns - row.count)
                out += row.map(CSV.field).joined(separator: ",") + "\n"
            }
        }
        return out
    }

    static func percentName(_ f: Double) -> String { String(format: "%gpct", f * 100) }
    static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }
}
