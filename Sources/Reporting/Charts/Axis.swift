import Foundation

/// One chart axis: its data bounds (hi > lo, both > 0 when logarithmic) and
/// labelled ticks. Built by `AxisTicks`.
struct Axis: Sendable {
    var lo: Double
    var hi: Double
    var isLog: Bool
    var ticks: [Double]
    var labels: [String]

    /// Position of `v` along the axis, 0 at `lo` and 1 at `hi`.
    func fraction(_ v: Double) -> Double {
        if isLog { return (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) }
        return (v - lo) / (hi - lo)
    }
}
