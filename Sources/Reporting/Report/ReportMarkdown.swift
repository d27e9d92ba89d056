import Foundation
import Pipeline
import Probing

/// report.md: the answer first (probe top-1 of I-JEPA against both
/// baselines), then the ablation table of a sweep, the figures, and what is
/// needed to reproduce every number.
enum ReportMarkdown {
    static func render(title: String, runs: [RunRecord], sweep: SweepFile?, figures: [(file: String, title: String)],
                       masks: [(file: String, label: String)], environment: [(String, String)]) -> String {
        var md = "# \(escape(title))\n\n"
        let replicated = sweep.map { !$0.seeds.isEmpty } ?? false
        let summary = ReplicateSummary(runs, reference: sweep?.reference, seeds: sweep?.seeds ?? [])
        let main: RunRecord
        if replicated {
            let f = runs[0].fractions.last ?? 1
            let best = summary.best(fraction: f)
            main = summary.runs[best]![0]
            md += ReplicateMarkdown.answer(summary, variant: best, sweep: sweep!) + "\n\n"
        } else {
            main = bestRun(runs)
            md += answer(main, sweep: sweep) + "\n\n"
        }
        for n in main.metrics.notes + main.metrics.subjects.keys.sorted().compactMap({ main.metrics.subjects[$0]?.note }) {
            md += "*Note: \(escape(n))*\n\n"
        }
        md += "## Probe top-1\n\n"
        if replicated {
            md += ReplicateMarkdown.probeTable(summary, variant: main.index, sweep: sweep!) + "\n"
        } else {
            if sweep != nil { md += "Variant \(main.index) (\(code(main.label))), the best linear probe of the sweep.\n\n" }
            md += probeTable(main) + "\n"
        }
        md += "Each number is the top-1 accuracy on the \(main.evalDescription) (\(main.evalImages) images). "
        md += "Linear: multinomial logistic regression on standardised features, L2 strength chosen on a held-out part of the train labels, refit on all of them (L-BFGS). "
        md += "k-NN: cosine similarity, k = \(main.config.settings.probe.evaluation.knnK), votes weighted by exp(cos/\(main.config.settings.probe.evaluation.knnTemperature)). "
        md += "Label fractions are sampled per class; features: \(code(main.metrics.features)) (average-pooled).\n\n"
        md += curveSummary(main)
        if let sweep, replicated {
            md += ReplicateMarkdown.comparison(summary, sweep: sweep)
            md += ablation(runs, sweep: sweep)
        } else if let sweep {
            md += ablation(runs, sweep: sweep)
        }
        md += perClass(main)
        md += "## Figures\n\n"
        for f in figures { md += "![\(escape(f.title))](\(f.file))\n\n" }
        for m in masks { md += "![masks\(m.label.isEmpty ? "" : " " + escape(m.label))](\(m.file))\n\n*Masks\(m.label.isEmpty ? "" : " (" + escape(m.label) + ")"): context block and target blocks on training images at step 0.*\n\n" }
        md += reproduce(runs, sweep: sweep, environment: environment)
        return md
    }

    /// The run whose I-JEPA linear probe (all labels) is best.
    static func bestRun(_ runs: [RunRecord]) -> RunRecord {
        runs.max { a, b in
            let f = a.fractions.last ?? 1
            let x = a.top1(.ijepa, "linear", f), y = b.top1(.ijepa, "linear", f)
            return (x.isNaN ? -1 : x) < (y.isNaN ? -1 : y)
        }!
    }

    static func answer(_ r: RunRecord, sweep: SweepFile?) -> String {
        let f = r.fractions.last ?? 1
        let j = r.top1(.ijepa, "linear", f), rnd = r.top1(.randomInit, "linear", f), px = r.top1(.pixels, "linear", f)
        let hasInitial = r.metrics.subjects[ProbeStage.Subject.randomInit.rawValue] != nil
        let hasPixels = r.metrics.subjects[ProbeStage.Subject.pixels.rawValue] != nil
        var s = "**Answer.** On the \(r.evalDescription) (\(r.evalImages) images), with \(frac(f)) of the train labels, a linear probe on the I-JEPA target encoder's features reaches **\(pct(j))** top-1"
        switch (hasInitial, hasPixels) {
        case (true, true):
            s += ", against \(pct(rnd)) for the same encoder at its initial weights and \(pct(px)) for raw pixels"
            s += " (\(pts(j - rnd)) and \(pts(j - px)) points). "
        case (true, false):
            s += ", against \(pct(rnd)) for the same encoder at its initial weights (\(pts(j - rnd)) points; raw pixels not probed, probe.baselines). "
        case (false, true):
            s += ", against \(pct(px)) for raw pixels (\(pts(j - px)) points; the initial weights not probed, probe.baselines). "
        case (false, false):
            s += ". No baseline was probed (probe.baselines is empty), so there is nothing to compare with and no verdict."
        }
        if sweep != nil {
            s += "This is variant \(r.index), the sweep's best by this very number"
            s += r.metrics.evalSplit == "val"
                ? " (chosen on the val split, so optimistic; sweep with `probe.eval_split: holdout` to choose without touching val). "
                : ". "
        }
        if !hasInitial && !hasPixels {
        } else if !(j.isFinite && (rnd.isFinite || !hasInitial) && (px.isFinite || !hasPixels)) {
            s += "Some probes are missing, so no verdict."
        } else if !hasInitial {
            s += j > px
                ? "The learned features beat raw pixels; without the initial-weights baseline this does not show that pretraining, rather than the architecture, helped."
                : "The learned features are no better than raw pixels."
        } else if !hasPixels {
            s += j > rnd
                ? "Pretraining improved on the untrained encoder."
                : "Pretraining did not help: the learned features are no better than the untrained encoder's."
        } else if j > rnd && j > px {
            s += "Pretraining helped: the learned features beat both baselines."
        } else if j > rnd {
            s += "Pretraining improved on the untrained encoder but not on raw pixels."
        } else {
            s += "Pretraining did not help: the learned features are no better than the untrained encoder's."
        }
        let std = r.finalFeatureStd
        if std.isFinite && std < 0.01 {
            s += "\n\n**Warning: collapse.** The collapse monitor ended at \(String(format: "%.4f", std)): the target encoder maps images to nearly the same features."
        }
        return s
    }

    /// One line on the run's learning curve, or "" without one.
    static func curveSummary(_ r: RunRecord) -> String {
        guard let c = r.curve, let first = c.first, let last = c.last else { return "" }
        let info = r.pretrainManifest["details"]?["learning_curve"]
        let q = info?["queries"]?.intValue ?? 0, b = info?["bank"]?.intValue ?? 0
        var md = "Learning curve (figure below\(r.seed.map { "; seed \($0)" } ?? "")): Pretrain's k-NN top-1 of the target encoder on \(q) train-holdout images against \(b) other train images "
        md += "went from \(pct(first.top1)) at step \(first.step) to **\(pct(last.top1))** at step \(last.step)"
        md += " (\(c.count) evaluations).\n\n"
        return md
    }

    static func probeTable(_ r: RunRecord) -> String {
        probeTable(fractions: r.fractions) { pct(r.top1($0, $1, $2)) }
    }

    /// Subjects by row, linear then k-NN at each label fraction by column;
    /// `cell` formats one (subject, classifier, fraction).
    static func probeTable(fractions fs: [Double], cell: (ProbeStage.Subject, String, Double) -> String) -> String {
        var t = "| features |" + fs.map { " linear \(frac($0)) |" }.joined() + fs.map { " k-NN \(frac($0)) |" }.joined() + "\n"
        t += "|---|" + String(repeating: "---:|", count: 2 * fs.count) + "\n"
        for (s, name) in [(ProbeStage.Subject.ijepa, "**I-JEPA target encoder**"), (.randomInit, "same encoder, initial weights"), (.pixels, "raw pixels")] {
            t += "| \(name) |"
            for k in ["linear", "knn"] { for f in fs { t += " \(cell(s, k, f)) |" } }
            t += "\n"
        }
        return t
    }

    static func ablation(_ runs: [RunRecord], sweep: SweepFile) -> String {
        let allKeys = ResultsTable.differingKeys(runs), f = runs.first?.fractions.last ?? 1
        let low = runs.first?.fractions.first ?? f
        // Baselines that change across variants (a swept architecture or
        // probe setting) get their own columns; otherwise one line below.
        let varying = [(ProbeStage.Subject.randomInit, "initial weights"), (.pixels, "raw pixels")].filter { s, _ in
            Set(runs.map { pct($0.top1(s, "linear", f)) }).count > 1
        }
        let seeded = !sweep.seeds.isEmpty
        let keys = allKeys.filter { !(seeded && SweepFile.seedKeys.contains($0)) }
        var md = seeded ? "## Every run\n\n" : "## Ablation: \(escape(sweep.name))\n\n"
        md += seeded
            ? "One row per run of `\(sweep.path)` (base `\(sweep.basePipeline)`): each variant at each seed; columns are the config values that differ, then probe top-1 of the I-JEPA features.\n\n"
            : "One row per variant of `\(sweep.path)` (base `\(sweep.basePipeline)`); columns are the config values that differ, then probe top-1 of the I-JEPA features.\n\n"
        if !seeded {
            md += "*One run per variant (the sweep file has no `seeds:`): no interval can be given, so a difference here is not evidence of an effect until it is larger than the seed-to-seed spread (docs/results.md measures it for the default). Add `seeds: [0, 1, 2]` to the file for means, intervals and paired differences.*\n\n"
        }
        md += "| # |" + (seeded ? " seed |" : "") + keys.map { " \(code($0)) |" }.joined()
        md += " linear \(frac(f)) | k-NN \(frac(f)) |" + (low != f ? " linear \(frac(low)) |" : "")
        md += varying.map { " \($0.1) linear \(frac(f)) |" }.joined()
        let curve = runs.contains { $0.curve != nil }
        md += (curve ? " curve k-NN |" : "") + " final loss | feature std | pretrain images/s | pretrain min |\n"
        md += "|---:|" + (seeded ? "---:|" : "") + String(repeating: "---|", count: keys.count)
        md += String(repeating: "---:|", count: (low != f ? 7 : 6) + varying.count + (curve ? 1 : 0)) + "\n"
        for r in runs {
            md += "| \(r.index) |" + (seeded ? " \(r.seed.map(String.init) ?? "") |" : "") + keys.map { " \(code(r.config.values[$0]?.canonical ?? "")) |" }.joined()
            md += " \(pct(r.top1(.ijepa, "linear", f))) | \(pct(r.top1(.ijepa, "knn", f))) |"
            if low != f { md += " \(pct(r.top1(.ijepa, "linear", low))) |" }
            md += varying.map { " \(pct(r.top1($0.0, "linear", f))) |" }.joined()
            if curve { md += " \(pct(r.curveLast)) |" }
            md += " \(num(r.finalLoss, "%.4f")) | \(num(r.finalFeatureStd, "%.4f")) |"
            md += " \(num(r.pretrainImagesPerSecond, "%.0f")) | \(num(r.wallSeconds(r.pretrainManifest) / 60, "%.1f")) |\n"
        }
        let base = runs[0]
        md += "\n"
        for (s, what) in [(ProbeStage.Subject.randomInit, "at initial weights"), (.pixels, "on raw pixels")] where !varying.contains(where: { $0.0 == s }) && !seeded {
            md += "Linear \(frac(f)) \(what), the same for every variant: \(pct(base.top1(s, "linear", f))). "
        }
        md += "Final loss and feature std are means over the last 20 steps."
        if curve { md += " Curve k-NN: the learning curve's last point (Pretrain's k-NN top-1 on its fixed train-holdout sample, not the probe's evaluation set)." }
        md += "\n\n"
        return md
    }

    static func perClass(_ r: RunRecord) -> String {
        let names = r.metrics.classNames
        let f = r.fractions.last ?? 1
        func perClass(_ s: ProbeStage.Subject) -> [Double] {
            (r.metrics.result(s, "linear", f)?.perClassTop1 ?? []).map { $0 ?? .nan }
        }
        let j = perClass(.ijepa), rnd = perClass(.randomInit), px = perClass(.pixels)
        guard !names.isEmpty, j.count == names.count else { return "" }
        var md = "## Per-class top-1 (linear, \(frac(f)) of labels\(r.seed.map { ", seed \($0)" } ?? ""))\n\n| class | I-JEPA | initial weights | raw pixels |\n|---|---:|---:|---:|\n"
        for (i, n) in names.enumerated() {
            md += "| \(escape(n)) | \(pct(j[i])) | \(i < rnd.count ? pct(rnd[i]) : "–") | \(i < px.count ? pct(px[i]) : "–") |\n"
        }
        return md + "\nConfusion matrices: `confusion/` in the probe artifact.\n\n"
    }

    static func reproduce(_ runs: [RunRecord], sweep: SweepFile?, environment: [(String, String)]) -> String {
        var md = "## Reproduce\n\n```sh\n"
        md += ReplicateMarkdown.command(sweep: sweep, source: runs[0].config.source) + "\n"
        md += "```\n\n| run | prepare | pretrain | probe | pretrain wall | probe wall |\n|---|---|---|---|---:|---:|\n"
        for r in runs {
            let name = [r.label, r.seed.map { "seed \($0)" } ?? ""].filter { !$0.isEmpty }.joined(separator: ", ")
            md += "| \(name.isEmpty ? code(r.config.source) : code(name)) | `\(r.prepareKey)` | `\(r.pretrainKey)` | `\(r.probeKey)` |"
            md += " \(minutes(r.wallSeconds(r.pretrainManifest))) | \(minutes(r.wallSeconds(r.probeManifest))) |\n"
        }
        md += "\nArtifacts live under `artifacts/<stage>/<key>/`, each with a `manifest.json` (file digests, timings, git commit, library versions).\n\n"
        md += "### Environment\n\n| | |\n|---|---|\n"
        for (k, v) in environment { md += "| \(escape(k)) | \(escape(v)) |\n" }
        md += "\n### Configuration\n\n"
        md += sweep == nil ? "Every value the stages used (file values, `extends`, overrides and defaults):\n\n"
            : "Every value of variant 0; the other variants differ only in the ablation table's columns:\n\n"
        return md + "```yaml\n" + runs[0].config.resolvedYAML + "```\n"
    }

    static func pct(_ x: Double) -> String { x.isFinite ? String(format: "%.2f%%", 100 * x) : "–" }
    static func pts(_ x: Double) -> String { x.isFinite ? String(format: "%+.2f", 100 * x) : "–" }
    static func frac(_ f: Double) -> String { String(format: "%g%%", 100 * f) }
    static func minutes(_ s: Double) -> String { s.isFinite ? String(format: "%.1f min", s / 60) : "–" }
    /// A code span that is safe in a table cell (GitHub splits cells at `|` even inside backticks).
    static func code(_ s: String) -> String {
        "`" + s.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "\\|") + "`"
    }
    static func num(_ x: Double, _ format: String) -> String { x.isFinite ? String(format: format, x) : "–" }
    /// Characters markdown would read as table or emphasis syntax.
    static func escape(_ s: String) -> String {
        var o = ""
        for ch in s {
            if "|*_<>[]`\\".contains(ch) { o.append("\\") }
            o.append(ch)
        }
        return o
    }
}
