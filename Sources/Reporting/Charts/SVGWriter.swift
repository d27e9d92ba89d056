/// Accumulates SVG elements as text. Presentation is set with attributes
/// only: GitHub strips `<style>` and `style=` from rendered SVG.
struct SVGWriter {
    private(set) var body = ""

    /// The complete SVG 1.1 document around `body`, explicitly sized so
    /// markdown viewers lay it out without guessing.
    static func document(width: Int, height: Int, body: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(width)" height="\(height)" \
        viewBox="0 0 \(width) \(height)" font-family="sans-serif">
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>
        \(body)</svg>

        """
    }

    mutating func raw(_ line: String) { body += line + "\n" }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                       stroke: String, width: Double = 1, dash: String? = nil) {
        let dashAttr = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        raw("<line x1=\"\(c(x1))\" y1=\"\(c(y1))\" x2=\"\(c(x2))\" y2=\"\(c(y2))\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(c(width))\"\(dashAttr)/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) {
        let strokeAttr = stroke.map { " stroke=\"\($0)\" stroke-width=\"1\"" } ?? ""
        raw("<rect x=\"\(c(x))\" y=\"\(c(y))\" width=\"\(c(max(0, w)))\" height=\"\(c(max(0, h)))\" "
            + "fill=\"\(fill)\"\(strokeAttr)/>")
    }

    mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String) {
        raw("<circle cx=\"\(c(x))\" cy=\"\(c(y))\" r=\"\(c(r))\" fill=\"\(fill)\"/>")
    }

    /// One polyline per run of points ("M x,y L x,y …" per run).
    mutating func path(_ runs: [[(x: Double, y: Double)]], stroke: String, width: Double, dash: String? = nil) {
        var d = ""
        for run in runs where run.count > 1 {
            for (i, p) in run.enumerated() {
                d += (i == 0 ? (d.isEmpty ? "M" : " M") : " L") + c(p.x) + "," + c(p.y)
            }
        }
        guard !d.isEmpty else { return }
        let dashAttr = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
        raw("<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(c(width))\" "
            + "stroke-linejoin=\"round\" stroke-linecap=\"round\"\(dashAttr)/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: Anchor = .start,
                       fill: String = Palette.text, bold: Bool = false, rotate: Bool = false) {
        let weight = bold ? " font-weight=\"bold\"" : ""
        let transform = rotate ? " transform=\"rotate(-90 \(c(x)) \(c(y)))\"" : ""
        raw("<text x=\"\(c(x))\" y=\"\(c(y))\" font-size=\"\(c(size))\" text-anchor=\"\(anchor.rawValue)\" "
            + "fill=\"\(fill)\"\(weight)\(transform)>\(XMLText.escape(s))</text>")
    }

    mutating func group<T>(translateY dy: Double, _ draw: (inout SVGWriter) -> T) -> T {
        raw("<g transform=\"translate(0 \(c(dy)))\">")
        let result = draw(&self)
        raw("</g>")
        return result
    }

    private func c(_ v: Double) -> String { NumberFormat.coord(v) }
}
