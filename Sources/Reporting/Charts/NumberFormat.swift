import Foundation

/// Short number text for tick labels and SVG coordinates.
enum NumberFormat {
    /// Compact label: `0.001`, `1e-5`, `12k`, `2.5M`, `0.5`, with at most
    /// `significant` digits and no trailing zeros.
    static func compact(_ v: Double, significant: Int = 4) -> String {
        guard v.isFinite else { return "?" }
        if v == 0 { return "0" }
        let digits = max(1, min(significant, 15))
        let a = abs(v)
        if a < 1e-3 || a >= 1e9 { return scientific(v, significant: digits) }
        if a >= 1e6 { return fixed(v / 1e6, significant: digits) + "M" }
        if a >= 1e3 { return fixed(v / 1e3, significant: digits) + "k" }
        return fixed(v, significant: digits)
    }

    /// SVG coordinate with one decimal: enough at screen resolution and keeps
    /// long paths small. Never emits NaN, which would invalidate the drawing.
    static func coord(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let tenths = Int((min(max(v, -1e7), 1e7) * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let m = abs(tenths)
        return "\(sign)\(m / 10).\(m % 10)"
    }

    private static func fixed(_ v: Double, significant: Int) -> String {
        let magnitude = Int(floor(log10(abs(v))))
        let decimals = max(0, min(significant - 1 - magnitude, 15))
        return trimZeros(String(format: "%.\(decimals)f", v))
    }

    /// `2.5e-4` style, for every nonzero value.
    static func scientific(_ v: Double, significant: Int = 4) -> String {
        guard v.isFinite else { return "?" }
        if v == 0 { return "0" }
        let significant = max(1, min(significant, 15))
        var exponent = Int(floor(log10(abs(v))))
        var mantissa = v / pow(10, Double(exponent))
        // Rounding can carry the mantissa to 10 (9.99e-5 → 1e-4).
        let scale = pow(10, Double(significant - 1))
        mantissa = (mantissa * scale).rounded() / scale
        if abs(mantissa) >= 10 {
            mantissa /= 10
            exponent += 1
        }
        return fixed(mantissa, significant: significant) + "e\(exponent)"
    }

    private static func trimZeros(_ s: String) -> String {
        guard s.contains(".") else { return s == "-0" ? "0" : s }
        var t = Substring(s)
        while t.hasSuffix("0") { t = t.dropLast() }
        if t.hasSuffix(".") { t = t.dropLast() }
        return t == "-0" ? "0" : String(t)
    }
}
