import Foundation

/// "Nice" axes: ticks at 1, 2 or 5 × 10^k, or decades on a log axis.
enum AxisTicks {
    static let maxTicks = 8

    /// An axis covering [a, b], widened to the enclosing ticks so the plot
    /// starts and ends on a labelled value.
    static func linear(min a: Double, max b: Double) -> Axis {
        guard a.isFinite, b.isFinite else { return linear(min: 0, max: 1) }
        var lo = Swift.min(a, b), hi = Swift.max(a, b)
        // A zero-width range (one point, constant series) still needs an axis.
        if hi - lo <= Swift.max(abs(lo), abs(hi)) * 1e-12 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let span = hi - lo
        guard span.isFinite, span > 0 else { return unit }
        // Start below the right step and widen it; a few rounds always suffice.
        var exponent = floor(log10(span / Double(maxTicks)))
        for _ in 0..<8 {
            for mantissa in [1.0, 2, 5] {
                let step = mantissa * pow(10, exponent)
                let first = floor(lo / step + 1e-9), last = ceil(hi / step - 1e-9)
                guard last - first + 1 <= Double(maxTicks) else { continue }
                let ticks = stride(from: first, through: last, by: 1).map { value($0 * mantissa, exponent) }
                let labels = labels(ticks) { significantDigits($0, lastDigit: exponent) }
                return Axis(lo: ticks.first!, hi: ticks.last!, isLog: false, ticks: ticks, labels: labels)
            }
            exponent += 1
        }
        return unit
    }

    /// A log10 axis over [a, b] (both must be positive). Spans of a decade or
    /// more snap to whole decades with decade ticks (thinned to at most
    /// `maxTicks`, with 2 and 5 added when there are only one or two
    /// decades); narrower spans get linear nice ticks, since a single decade
    /// tick would leave the axis unreadable.
    static func logarithmic(min a: Double, max b: Double) -> Axis {
        guard a > 0, b > 0, a.isFinite, b.isFinite else { return logarithmic(min: 1, max: 10) }
        // Keeps 10^bound representable as a normal double.
        var l0 = Swift.max(log10(Swift.min(a, b)), -300), l1 = Swift.min(log10(Swift.max(a, b)), 300)
        if l1 - l0 < 1e-9 {
            l0 -= 0.5
            l1 += 0.5
        }
        guard l1 - l0 >= 1 - 1e-9 else { return narrowLog(lo: pow(10, l0), hi: pow(10, l1)) }

        let d0 = floor(l0 + 1e-9), d1 = ceil(l1 - 1e-9)
        let stride = Swift.max(1, ceil((d1 - d0) / Double(maxTicks - 1)))
        let top = d0 + ceil((d1 - d0) / stride) * stride
        var ticks: [Double] = []
        if top - d0 <= 2 {
            for d in Swift.stride(from: d0, to: top, by: 1) {
                for m in [1.0, 2, 5] { ticks.append(value(m, d)) }
            }
            ticks.append(value(1, top))
        } else {
            ticks = Swift.stride(from: d0, through: top, by: stride).map { value(1, $0) }
        }
        let labels = labels(ticks) { _ in 1 }
        return Axis(lo: value(1, d0), hi: value(1, top), isLog: true, ticks: ticks, labels: labels)
    }

    private static func narrowLog(lo: Double, hi: Double) -> Axis {
        let linear = linear(min: lo, max: hi)
        let bottom = linear.lo > 0 ? linear.lo : lo
        let kept = zip(linear.ticks, linear.labels).filter { $0.0 >= bottom * (1 - 1e-9) }
        return Axis(lo: bottom, hi: linear.hi, isLog: true, ticks: kept.map(\.0), labels: kept.map(\.1))
    }

    private static let unit = Axis(lo: 0, hi: 1, isLog: false, ticks: [0, 0.5, 1], labels: ["0", "0.5", "1"])

    /// `n × 10^exponent`, dividing for negative exponents so 3 × 0.1 comes
    /// out as 0.3 rather than 0.30000000000000004.
    private static func value(_ n: Double, _ exponent: Double) -> Double {
        exponent < 0 ? n / pow(10, -exponent) : n * pow(10, exponent)
    }

    /// Compact labels, except that once one tick needs scientific notation
    /// the ticks on that side of 1 use it too, so an axis never reads
    /// "8e-4, 0.001".
    private static func labels(_ ticks: [Double], significant: (Double) -> Int) -> [String] {
        let small = ticks.contains { $0 != 0 && abs($0) < 1e-3 }
        let large = ticks.contains { abs($0) >= 1e9 }
        return ticks.map { v in
            let digits = significant(v)
            let a = abs(v)
            if (small && a < 1) || (large && a >= 1) { return NumberFormat.scientific(v, significant: digits) }
            return NumberFormat.compact(v, significant: digits)
        }
    }

    /// Just enough digits to reach the step's last digit, so neighbouring
    /// ticks never print alike.
    private static func significantDigits(_ v: Double, lastDigit exponent: Double) -> Int {
        guard v != 0 else { return 1 }
        return Swift.max(1, Int(floor(log10(abs(v))) - exponent) + 1)
    }
}
