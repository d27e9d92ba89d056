/// Lays out one `LineChart` and draws it with its top-left corner at the
/// writer's origin, so `ChartPanel` can stack several.
struct LineChartRenderer {
    static let maxPointsPerSeries = 1000
    static let tickFont = 11.0

    let chart: LineChart
    let width: Int
    let height: Int
    /// Series points with undrawable values (non-finite, or ≤ 0 on a log
    /// axis) replaced by NaN so they break the line.
    private let cleaned: [[(x: Double, y: Double)]]
    private let references: [ReferenceLine]
    private let hasData: Bool
    private let xAxis: Axis
    private let yAxis: Axis
    private let legend: Legend?
    private let plot: (x: Double, y: Double, width: Double, height: Double)

    /// Space left and right of the plot area.
    var margins: (left: Double, right: Double) { (plot.x, Double(width) - plot.x - plot.width) }

    /// `minMargins` widens the margins so stacked charts share plot edges.
    init(chart: LineChart, minMargins: (left: Double, right: Double) = (0, 0)) {
        self.chart = chart
        width = max(chart.width, 200)
        height = max(chart.height, 120)
        let logY = chart.logY
        func drawable(_ y: Double) -> Bool { y.isFinite && (!logY || y > 0) }

        cleaned = chart.series.map { series in
            series.points.map { p in (p.x, p.x.isFinite && drawable(p.y) ? p.y : .nan) }
        }
        references = chart.references.filter { drawable($0.y) }
        let drawn = cleaned.joined().filter { $0.y.isFinite }
        hasData = !drawn.isEmpty

        let xs = drawn.map(\.x)
        xAxis = AxisTicks.linear(min: xs.min() ?? 0, max: xs.max() ?? 1)
        // Error bars widen the y range so they are drawn whole.
        let whiskers = zip(chart.series, cleaned).flatMap { series, points in
            zip(points, series.errors ?? []).filter { $0.0.y.isFinite && $0.1.isFinite && $0.1 > 0 }
                .flatMap { [$0.0.y - $0.1, $0.0.y + $0.1] }
        }.filter(drawable)
        let ys = drawn.map(\.y) + references.map(\.y) + whiskers
        if let lo = ys.min(), let hi = ys.max() {
            yAxis = logY ? AxisTicks.logarithmic(min: lo, max: hi) : AxisTicks.linear(min: lo, max: hi)
        } else {
            yAxis = logY ? AxisTicks.logarithmic(min: 1, max: 10) : AxisTicks.linear(min: 0, max: 1)
        }

        let items = chart.series.enumerated().map { i, s in
            Legend.Item(name: s.name, color: Palette.color(i), dash: Palette.dash(i, dashed: s.dashed))
        } + references.map { Legend.Item(name: $0.label, color: Palette.reference, dash: "6 4") }
        legend = chart.series.count > 1 || !references.isEmpty
            ? Legend(items: items, canvasWidth: Double(width)) : nil

        let top = chart.title.isEmpty ? 12.0 : 32
        let yTickWidth = TextMetrics.width(yAxis.labels.max { $0.count < $1.count } ?? "", fontSize: Self.tickFont)
        let left = max(minMargins.left, 8 + (chart.yLabel.isEmpty ? 0 : 18) + yTickWidth + 8)
        // The last x tick label is centred on the plot's right edge.
        let xOverhang = TextMetrics.width(xAxis.labels.last ?? "", fontSize: Self.tickFont) / 2 + 6
        let right = max(minMargins.right, legend.map { $0.width + 20 } ?? max(16, xOverhang))
        let bottom = 26.0 + (chart.xLabel.isEmpty ? 0 : 18)
        plot = (left, top, max(20, Double(width) - left - right), max(20, Double(height) - top - bottom))
    }

    func draw(into w: inout SVGWriter) {
        drawAxes(into: &w)
        for ref in references {
            let y = py(ref.y)
            w.line(plot.x, y, plot.x + plot.width, y, stroke: Palette.reference, width: 1.2, dash: "6 4")
            w.text(ref.label, x: plot.x + plot.width - 4, y: y - 4, size: 10, anchor: .end, fill: Palette.mutedText)
        }
        for (i, points) in cleaned.enumerated() {
            drawSeries(points, color: Palette.color(i), dash: Palette.dash(i, dashed: chart.series[i].dashed),
                       into: &w)
            if let errors = chart.series[i].errors { drawErrorBars(points, errors, color: Palette.color(i), into: &w) }
        }
        if !hasData {
            w.text("no data", x: plot.x + plot.width / 2, y: plot.y + plot.height / 2 + 4, size: 13,
                   anchor: .middle, fill: Palette.mutedText)
        }
        legend?.draw(into: &w, x: plot.x + plot.width + 12, y: plot.y, maxHeight: Double(height) - plot.y)
        drawLabels(into: &w)
    }

    private func px(_ x: Double) -> Double { plot.x + xAxis.fraction(x) * plot.width }
    private func py(_ y: Double) -> Double { plot.y + plot.height - yAxis.fraction(y) * plot.height }

    private func drawAxes(into w: inout SVGWriter) {
        let bottom = plot.y + plot.height
        for (tick, label) in zip(xAxis.ticks, xAxis.labels) {
            let x = px(tick)
            w.line(x, plot.y, x, bottom, stroke: Palette.grid)
            w.line(x, bottom, x, bottom + 4, stroke: Palette.frame)
            w.text(label, x: x, y: bottom + 16, size: Self.tickFont, anchor: .middle, fill: Palette.mutedText)
        }
        for (tick, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = py(tick)
            w.line(plot.x, y, plot.x + plot.width, y, stroke: Palette.grid)
            w.line(plot.x - 4, y, plot.x, y, stroke: Palette.frame)
            w.text(label, x: plot.x - 6, y: y + 4, size: Self.tickFont, anchor: .end, fill: Palette.mutedText)
        }
        w.rect(plot.x, plot.y, plot.width, plot.height, fill: "none", stroke: Palette.frame)
    }

    private func drawSeries(_ points: [(x: Double, y: Double)], color: String, dash: String?,
                            into w: inout SVGWriter) {
        let runs = Downsample.segments(points, maxPoints: Self.maxPointsPerSeries)
            .map { run in run.map { (x: px($0.x), y: py($0.y)) } }
        w.path(runs, stroke: color, width: 1.6, dash: dash)
        for run in runs where chart.showMarkers || run.count == 1 {
            for p in run { w.circle(p.x, p.y, r: 2.5, fill: color) }
        }
    }

    /// A vertical bar from y - e to y + e with short caps, at each point.
    private func drawErrorBars(_ points: [(x: Double, y: Double)], _ errors: [Double], color: String,
                               into w: inout SVGWriter) {
        for (p, e) in zip(points, errors) where p.y.isFinite && e.isFinite && e > 0 {
            let lo = chart.logY && p.y - e <= 0 ? p.y : p.y - e
            let x = px(p.x), y0 = py(lo), y1 = py(p.y + e)
            w.line(x, y0, x, y1, stroke: color, width: 1.2)
            w.line(x - 4, y0, x + 4, y0, stroke: color, width: 1.2)
            w.line(x - 4, y1, x + 4, y1, stroke: color, width: 1.2)
        }
    }

    private func drawLabels(into w: inout SVGWriter) {
        let maxTitleChars = Int(Double(width) / TextMetrics.charWidth(14))
        w.text(TextMetrics.truncate(chart.title, to: maxTitleChars), x: Double(width) / 2, y: 21, size: 14,
               anchor: .middle, bold: true)
        if !chart.xLabel.isEmpty {
            w.text(chart.xLabel, x: plot.x + plot.width / 2, y: Double(height) - 8, size: 12, anchor: .middle)
        }
        if !chart.yLabel.isEmpty {
            w.text(chart.yLabel, x: 20, y: plot.y + plot.height / 2, size: 12, anchor: .middle, rotate: true)
        }
    }
}
