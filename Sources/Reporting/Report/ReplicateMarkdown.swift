import Pipeline
import Probing

/// The parts of report.md that a replicated run set adds: an answer and a
/// probe table over seeds, and the ablation as means with 95% intervals and
/// paired differences to the reference variant.
enum ReplicateMarkdown {
    typealias Metric = ReplicateSummary.Metric

    static func answer(_ s: ReplicateSummary, variant: Int, sweep: SweepFile) -> String {
        let r = s.runs[variant]![0], f = r.fractions.last ?? 1
        let e = s.estimate(variant, Metric(subject: .ijepa, classifier: "linear", fraction: f))
        var md = "**Answer.** Over \(e.n) seed\(e.n == 1 ? "" : "s") (\(seedList(s))) on the \(r.evalDescription) (\(r.evalImages) images), with \(frac(f)) of the train labels, a linear probe on the I-JEPA target encoder's features reaches a top-1 (%) of **\(est(e))**"
        if sweep.variantCount > 1 {
            md += " for variant \(variant) (\(ReportMarkdown.code(r.label))), the sweep's best mean"
            md += r.metrics.evalSplit == "val" ? " (chosen on the val split, so optimistic)" : ""
        }
        md += s.hasIntervals ? " (mean ± half-width of the 95% Student-t interval). " : ". "
        var gains: [(ProbeStage.Subject, String, Estimate)] = []
        for (subject, what) in [(ProbeStage.Subject.randomInit, "the same encoder at its initial weights"), (.pixels, "raw pixels")]
        where r.metrics.subjects[subject.rawValue] != nil {
            let base = s.estimate(variant, Metric(subject: subject, classifier: "linear", fraction: f))
            let gain = s.gain(variant, over: subject, classifier: "linear", fraction: f)
            md += "Against \(what): \(est(base)); I-JEPA minus it, paired by seed: \(diff(gain)). "
            gains.append((subject, what, gain))
        }
        if r.metrics.subjects[ProbeStage.Subject.randomInit.rawValue] != nil {
            let knn = s.estimate(variant, Metric(subject: .ijepa, classifier: "knn", fraction: f))
            md += "k-NN: \(est(knn)); I-JEPA minus the initial weights, paired by seed: \(diff(s.gain(variant, over: .randomInit, classifier: "knn", fraction: f))). "
        }
        guard let initial = gains.first(where: { $0.0 == .randomInit })?.2 ?? gains.first?.2 else {
            return md + "No baseline was probed (probe.baselines is empty), so there is no verdict."
        }
        guard s.hasIntervals else {
            return md + "With one seed no interval can be given: run more seeds (`seeds:` in a sweep file, or `SEEDS=\"0 1 2\"`) before reading a difference as an effect."
        }
        if initial.excludesZero && initial.mean > 0 {
            md += gains.count > 1 && gains[1].2.excludesZero && gains[1].2.mean > 0
                ? "Pretraining helped beyond the seed-to-seed spread: the learned features beat both baselines at 95%."
                : "Pretraining helped beyond the seed-to-seed spread at 95% (against \(gains[0].1))."
        } else if initial.excludesZero {
            md += "Pretraining hurt: the learned features are below \(gains[0].1) at 95%."
        } else {
            md += "Unresolved: the interval of the gain over \(gains[0].1) includes zero, so these seeds cannot tell whether pretraining helped."
        }
        return md
    }

    /// The probe table of one variant, each cell a mean ± half-width.
    static func probeTable(_ s: ReplicateSummary, variant: Int, sweep: SweepFile) -> String {
        let r = s.runs[variant]![0], fs = r.fractions
        var t = sweep.variantCount > 1 ? "Variant \(variant) (\(ReportMarkdown.code(r.label))), the best mean linear probe of the sweep. " : ""
        let n = s.runs[variant]!.count
        t += n > 1 ? "Top-1 (%): mean ± half-width of the 95% Student-t interval over \(n) seeds (\(seedList(s))); each seed has its own initial weights and pixel sample.\n\n"
            : "Top-1 (%) at \(seedList(s)): one seed, so no interval can be given.\n\n"
        return t + ReportMarkdown.probeTable(fractions: fs) {
            est(s.estimate(variant, Metric(subject: $0, classifier: $1, fraction: $2)))
        }
    }

    /// The ablation over seeds: per variant, each headline probe's mean and
    /// its difference to the reference, paired by seed.
    static func comparison(_ s: ReplicateSummary, sweep: SweepFile) -> String {
        guard sweep.variantCount > 1, let first = s.runs[s.variants[0]]?.first else { return "" }
        let f = first.fractions.last ?? 1, low = first.fractions.first ?? f
        let metrics = [Metric(subject: .ijepa, classifier: "linear", fraction: f), Metric(subject: .ijepa, classifier: "knn", fraction: f)]
            + (low != f ? [Metric(subject: .ijepa, classifier: "linear", fraction: low)] : [])
        let ref = s.runs[s.reference]?.first
        var md = "## Ablation: \(ReportMarkdown.escape(sweep.name))\n\n"
        md += "Each variant of `\(sweep.path)` (base `\(sweep.basePipeline)`) over \(s.n) seed\(s.n == 1 ? "" : "s") (\(seedList(s))): the mean top-1 of the I-JEPA features ± the half-width of its 95% Student-t interval, "
        md += "and Δ, the variant minus the reference variant \(s.reference) (\(ReportMarkdown.code(ref?.label ?? "")); "
        md += s.referenceIsNamed ? "the file's reference" : "variant 0, as the file names no reference and no variant has the base pipeline's values"
        md += "), paired by seed, with its 95% interval. ◆ marks a difference whose interval excludes zero: its sign is resolved at 95%.\n\n"
        if !s.hasIntervals {
            md += "*One seed per variant: no interval can be given, and no difference is marked.*\n\n"
        }
        let keys = sweep.axes.map(\.key)
        md += "| # |" + keys.map { " \(ReportMarkdown.code($0)) |" }.joined() + " n |"
        md += metrics.map { " \(name($0)) | Δ |" }.joined() + "\n"
        md += "|---:|" + String(repeating: "---|", count: keys.count) + "---:|" + String(repeating: "---:|---:|", count: metrics.count) + "\n"
        for v in s.variants {
            guard let r = s.runs[v]?.first else { continue }
            md += "| \(v)\(v == s.reference ? " (ref)" : "") |" + r.assignment.map { " \(ReportMarkdown.code($0.value.canonical)) |" }.joined()
            md += " \(s.runs[v]!.count) |"
            for m in metrics {
                md += " \(est(s.estimate(v, m))) | \(v == s.reference ? "–" : diff(s.difference(v, m))) |"
            }
            md += "\n"
        }
        md += "\nBaselines, shared by the variants of a seed:"
        for (subject, what) in [(ProbeStage.Subject.randomInit, "initial weights"), (.pixels, "raw pixels")]
        where first.metrics.subjects[subject.rawValue] != nil {
            md += " \(what) linear \(frac(f)) \(est(s.estimate(s.reference, Metric(subject: subject, classifier: "linear", fraction: f)))),"
            md += " k-NN \(est(s.estimate(s.reference, Metric(subject: subject, classifier: "knn", fraction: f))));"
        }
        return md + " every run's numbers are in the next table and in results.csv.\n\n"
    }

    /// The make command that produces these runs.
    static func command(sweep: SweepFile?, source: String) -> String {
        guard let sweep else { return "make all PIPELINE=\(source)" }
        let seeds = sweep.seeds.map(String.init).joined(separator: " ")
        if sweep.axes.isEmpty && sweep.path == sweep.basePipeline {
            return "make all PIPELINE=\(sweep.path) SEEDS=\"\(seeds)\""
        }
        return "make sweep SWEEP=\(sweep.path)"
    }

    static func name(_ m: Metric) -> String { "\(m.classifier == "knn" ? "k-NN" : "linear") \(frac(m.fraction))" }
    static func seedList(_ s: ReplicateSummary) -> String {
        let seeds = Set(s.runs.values.joined().compactMap(\.seed)).sorted()
        return seeds.isEmpty ? "the pipeline's own" : "seed\(seeds.count == 1 ? "" : "s") " + seeds.map(String.init).joined(separator: ", ")
    }

    /// "82.95 ± 0.60" (percent); "82.95" alone with one replicate.
    static func est(_ e: Estimate) -> String {
        guard e.mean.isFinite else { return "–" }
        return e.hasInterval ? String(format: "%.2f ± %.2f", 100 * e.mean, 100 * e.halfWidth) : String(format: "%.2f", 100 * e.mean)
    }

    /// "+0.57 [-0.20, +1.34]" in points, "◆" when the interval excludes zero.
    static func diff(_ e: Estimate) -> String {
        guard e.mean.isFinite else { return "–" }
        guard e.hasInterval else { return String(format: "%+.2f", 100 * e.mean) }
        return String(format: "%+.2f [%+.2f, %+.2f]", 100 * e.mean, 100 * e.low, 100 * e.high) + (e.excludesZero ? " ◆" : "")
    }

    static func frac(_ f: Double) -> String { ReportMarkdown.frac(f) }
}
