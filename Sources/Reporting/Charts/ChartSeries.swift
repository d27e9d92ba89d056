/// One named line of a chart.
public struct ChartSeries: Sendable {
    public var name: String
    /// Non-finite y values are skipped and break the line, so a diverged or
    /// unlogged step shows as a gap rather than a spike.
    public var points: [(x: Double, y: Double)]
    public var dashed: Bool = false
    /// Half-heights of error bars, one per point (non-finite: no bar).
    public var errors: [Double]?

    public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false, errors: [Double]? = nil) {
        precondition(errors.map { $0.count == points.count } ?? true, "one error per point")
        self.name = name
        self.points = points
        self.dashed = dashed
        self.errors = errors
    }
}

/// A horizontal reference line with a label (e.g. the random-init baseline accuracy).
public struct ReferenceLine: Sendable {
    public var label: String
    public var y: Double

    public init(label: String, y: Double) {
        self.label = label
        self.y = y
    }
}
