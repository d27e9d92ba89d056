/// Several small line charts stacked vertically in one SVG (e.g. learning
/// rate, weight decay, EMA momentum against step).
public struct ChartPanel: Sendable {
    public var charts: [LineChart]

    public init(charts: [LineChart]) {
        self.charts = charts
    }

    /// The SVG document as a string; charts are left-aligned, each at its own
    /// height, and share plot edges where their widths match so their x axes line up.
    public func svg() -> String {
        let natural = charts.map { LineChartRenderer(chart: $0) }
        let margins = (left: natural.map(\.margins.left).max() ?? 0, right: natural.map(\.margins.right).max() ?? 0)
        let renderers = charts.map { LineChartRenderer(chart: $0, minMargins: margins) }
        var writer = SVGWriter()
        guard !renderers.isEmpty else {
            let (width, height) = (640, 120)
            writer.text("no data", x: Double(width) / 2, y: Double(height) / 2, size: 13, anchor: .middle,
                        fill: Palette.mutedText)
            return SVGWriter.document(width: width, height: height, body: writer.body)
        }
        var top = 0
        for renderer in renderers {
            writer.group(translateY: Double(top)) { renderer.draw(into: &$0) }
            top += renderer.height
        }
        let width = renderers.map(\.width).max()!
        return SVGWriter.document(width: width, height: top, body: writer.body)
    }
}
