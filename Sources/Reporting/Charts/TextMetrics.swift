/// Text size estimates for layout: SVG has no text measurement without a
/// renderer, so widths assume an average sans-serif glyph.
enum TextMetrics {
    static func charWidth(_ fontSize: Double) -> Double { fontSize * 0.6 }

    static func width(_ s: String, fontSize: Double) -> Double { Double(s.count) * charWidth(fontSize) }

    /// `s` cut to at most `maxChars` characters, marking the cut with "…".
    static func truncate(_ s: String, to maxChars: Int) -> String {
        guard s.count > maxChars else { return s }
        guard maxChars > 1 else { return "…" }
        return String(s.prefix(maxChars - 1)) + "…"
    }
}
