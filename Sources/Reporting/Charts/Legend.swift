/// The key beside the plot: one row per series, then one per reference line.
struct Legend {
    struct Item {
        var name: String
        var color: String
        var dash: String?
    }

    static let fontSize = 11.0
    static let rowHeight = 16.0
    /// Swatch line plus the gap before the name.
    static let swatchWidth = 24.0

    var items: [Item]
    /// Width of the legend column, capped so long names cannot squeeze the plot away.
    let width: Double

    init(items: [Item], canvasWidth: Double) {
        self.items = items
        let longest = Double(items.map(\.name.count).max() ?? 0)
        width = min(Legend.swatchWidth + longest * TextMetrics.charWidth(Legend.fontSize), canvasWidth * 0.3)
    }

    /// Draws rows from (x, y) down; rows that would pass `maxHeight` are
    /// folded into a final "+N more" row.
    func draw(into w: inout SVGWriter, x: Double, y: Double, maxHeight: Double) {
        let fitting = max(1, Int(maxHeight / Legend.rowHeight))
        let shown = items.count <= fitting ? items : Array(items.prefix(fitting - 1))
        let maxChars = Int(((width - Legend.swatchWidth) / TextMetrics.charWidth(Legend.fontSize)).rounded())
        for (row, item) in shown.enumerated() {
            let rowY = y + Double(row) * Legend.rowHeight + Legend.rowHeight / 2
            w.line(x, rowY, x + 18, rowY, stroke: item.color, width: 2, dash: item.dash)
            w.text(TextMetrics.truncate(item.name, to: maxChars), x: x + Legend.swatchWidth, y: rowY + 4,
                   size: Legend.fontSize)
        }
        if shown.count < items.count {
            let rowY = y + Double(shown.count) * Legend.rowHeight + Legend.rowHeight / 2
            w.text("+\(items.count - shown.count) more", x: x + Legend.swatchWidth, y: rowY + 4,
                   size: Legend.fontSize, fill: Palette.mutedText)
        }
    }
}
