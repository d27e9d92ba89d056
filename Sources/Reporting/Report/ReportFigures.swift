import Foundation
import Pipeline
import Probing
import Pretraining

/// The report's SVG figures, written next to report.md.
enum ReportFigures {
    /// File name -> alt text, in the order they appear.
    static func write(_ runs: [RunRecord], sweep: SweepFile?, to dir: String) throws -> [(file: String, title: String)] {
        var out: [(String, String)] = []
        func save(_ svg: String, _ file: String, _ title: String) throws {
            guard FileManager.default.createFile(atPath: "\(dir)/\(file)", contents: Data(svg.utf8)) else {
                throw PipelineError("\(dir)/\(file): cannot write")
            }
            out.append((file, title))
        }
        // Legends show the swept values only (the axis names are in the
        // ablation table): "[0.15,0.2]", or "#2: [0.15,0.2], 4" for several axes.
        let name = { (r: RunRecord) -> String in
            if r.assignment.isEmpty { return "I-JEPA" }
            let values = r.assignment.map(\.value.canonical).joined(separator: ", ")
            return r.assignment.count == 1 ? values : "#\(r.index): \(values)"
        }
        if let sweep, let chart = accuracyChart(runs, sweep: sweep) {
            try save(chart.svg(), "probe-vs-sweep.svg", chart.title)
        }
        var loss = LineChart(title: "Pretraining loss", xLabel: "step", yLabel: "loss",
                             series: runs.map { ChartSeries(name: name($0), points: $0.log.series(\.loss)) })
        loss.logY = true
        try save(loss.svg(), "loss.svg", loss.title)
        let curves = runs.filter { $0.curve != nil }
        if !curves.isEmpty {
            var chart = LineChart(title: "Learning curve: k-NN top-1 of the target encoder on a fixed train-holdout sample",
                                  xLabel: "step", yLabel: "k-NN top-1 (%)",
                                  series: curves.map { r in
                                      ChartSeries(name: name(r), points: r.curve!.map { (x: Double($0.step), y: 100 * $0.top1) })
                                  })
            chart.showMarkers = true
            try save(chart.svg(), "learning-curve.svg", chart.title)
        }
        let collapse = LineChart(title: "Collapse monitor: std across the batch of pooled target features",
                                 xLabel: "step", yLabel: "mean feature std",
                                 series: runs.map { ChartSeries(name: name($0), points: $0.log.series(\.targetFeatureStd)) })
        try save(collapse.svg(), "collapse.svg", collapse.title)
        let panel = ChartPanel(charts: [("lr", \TrainingLogRow.lr, "Learning rate"), ("weight_decay", \.weightDecay, "Weight decay"),
                                           ("momentum", \.momentum, "EMA momentum")].map { col, field, title in
            LineChart(title: title, xLabel: "step", yLabel: col, series: distinct(runs.map {
                ChartSeries(name: name($0), points: $0.log.series(field))
            }))
        })
        try save(panel.svg(), "schedules.svg", "Learning rate, weight decay and EMA momentum")
        return out
    }

    /// Linear and k-NN top-1 (all labels) against the swept value, with the
    /// baselines as reference lines. The x axis is the swept number, the
    /// midpoint of a swept range, or the variant index when several keys or
    /// non-numbers are swept. With seeds, each point is a variant's mean and
    /// its error bar the 95% interval.
    static func accuracyChart(_ runs: [RunRecord], sweep: SweepFile) -> LineChart? {
        guard let fraction = runs.first?.fractions.last else { return nil }
        let summary = ReplicateSummary(runs, reference: sweep.reference, seeds: sweep.seeds)
        let first = summary.variants.compactMap { summary.runs[$0]?.first }
        let numeric = sweep.axes.count == 1 ? first.map { number($0.assignment[0].value) } : []
        let useValue = !numeric.isEmpty && numeric.allSatisfy { $0 != nil }
        let xs = useValue ? numeric.map { $0! } : first.map { Double($0.index) }
        let xLabel = useValue ? sweep.axes[0].key + (isRange(first[0].assignment[0].value) ? " (midpoint)" : "") : "variant"
        // Drawn in x order, so unsorted sweep values do not zigzag.
        let order = xs.indices.sorted { xs[$0] < xs[$1] }
        let sortedX = order.map { xs[$0] }, sortedVariants = order.map { first[$0].index }
        func series(_ subject: ProbeStage.Subject, _ classifier: String, _ name: String, dashed: Bool) -> ChartSeries {
            let e = sortedVariants.map { summary.estimate($0, .init(subject: subject, classifier: classifier, fraction: fraction)) }
            return ChartSeries(name: name, points: zip(sortedX, e).map { (x: $0, y: 100 * $1.mean) }, dashed: dashed,
                               errors: summary.hasIntervals ? e.map { 100 * $0.halfWidth } : nil)
        }
        let labels = "Probe top-1 (\(String(format: "%g", fraction * 100))% of labels)"
        var chart = LineChart(title: summary.hasIntervals ? "\(labels): mean and 95% interval over \(summary.n) seeds"
                                                           : "\(labels) across the sweep",
                              xLabel: xLabel, yLabel: "top-1 (%)",
                              series: [series(.ijepa, "linear", "I-JEPA linear", dashed: false),
                                       series(.ijepa, "knn", "I-JEPA k-NN", dashed: true)])
        chart.showMarkers = true
        // A baseline that is the same for every variant is a reference
        // line (its mean over seeds); one that changes (a swept
        // architecture) is a series.
        for (subject, label) in [(ProbeStage.Subject.randomInit, "random init, linear"), (.pixels, "raw pixels, linear")] {
            let s = series(subject, "linear", label, dashed: true)
            let ys = s.points.map(\.y)
            guard ys.allSatisfy(\.isFinite) else { continue }
            if Set(ys).count == 1 {
                chart.references.append(ReferenceLine(label: label, y: ys[0]))
            } else {
                chart.series.append(s)
            }
        }
        return chart
    }

    /// One line when every variant has the same curve (a sweep that does
    /// not touch the schedules), else one per variant.
    static func distinct(_ series: [ChartSeries]) -> [ChartSeries] {
        guard series.count > 1, let first = series.first else { return series }
        let same = series.allSatisfy { s in
            s.points.count == first.points.count && zip(s.points, first.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
        }
        return same ? [ChartSeries(name: "every variant", points: first.points)] : series
    }

    static func number(_ v: JSON) -> Double? {
        if let d = v.doubleValue { return d }
        if let a = v.arrayValue?.compactMap(\.doubleValue), a.count == 2 { return (a[0] + a[1]) / 2 }
        return nil
    }

    static func isRange(_ v: JSON) -> Bool { (v.arrayValue?.count ?? 0) == 2 }
}
