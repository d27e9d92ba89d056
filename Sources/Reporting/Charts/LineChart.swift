/// A line chart (loss curves, accuracy sweeps) rendered as a standalone SVG.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [ChartSeries]
    public var references: [ReferenceLine] = []
    /// log10 y axis (loss curves); non-positive values are skipped.
    public var logY: Bool = false
    /// Dots at points (sweep plots with few points).
    public var showMarkers: Bool = false
    /// Canvas size in pixels; very small values are raised to a legible minimum.
    public var width: Int = 640, height: Int = 360

    public init(title: String, xLabel: String, yLabel: String, series: [ChartSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The SVG document as a string.
    public func svg() -> String {
        let renderer = LineChartRenderer(chart: self)
        var writer = SVGWriter()
        renderer.draw(into: &writer)
        return SVGWriter.document(width: renderer.width, height: renderer.height, body: writer.body)
    }
}
