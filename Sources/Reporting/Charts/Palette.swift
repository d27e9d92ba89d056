/// Series colours: Okabe-Ito, which stays distinguishable under the common
/// colour-vision deficiencies; its yellow is left out as unreadable on white.
enum Palette {
    static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    static func color(_ index: Int) -> String { series[index % series.count] }

    /// Dash for series `index` unless it asks for its own: every other round
    /// through the colours is dotted, so the 8th series is not a twin of the 1st.
    static func dash(_ index: Int, dashed: Bool) -> String? {
        if dashed { return "5 3" }
        return (index / series.count) % 2 == 1 ? "1.5 3" : nil
    }

    static let reference = "#777777"
    static let grid = "#e6e6e6"
    static let frame = "#999999"
    static let text = "#222222"
    static let mutedText = "#555555"
}
