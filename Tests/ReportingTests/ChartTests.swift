import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Reporting
import Random

final class ChartTests: XCTestCase {
    // MARK: Documents

    func testEveryKindOfChartIsWellFormedSVG() {
        for (name, svg) in sampleDocuments() {
            assertWellFormedSVG(svg, name)
        }
    }

    /// A point's error bar is one vertical line and two caps in its series'
    /// colour, inside the y range; an undefined error draws nothing.
    func testErrorBarsAreDrawnWholeAndOnlyWhereDefined() {
        var chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [ChartSeries(name: "a", points: [(x: 0, y: 80), (x: 1, y: 82)], errors: [9, .nan])])
        chart.showMarkers = true
        let svg = chart.svg()
        let bars = svg.components(separatedBy: "\n").filter {
            $0.hasPrefix("<line") && $0.contains("stroke=\"\(Palette.color(0))\"") && $0.contains("stroke-width=\"1.2\"")
        }
        XCTAssertEqual(bars.count, 3, svg)
        XCTAssertTrue(svg.contains(">90<") || svg.contains(">92<"), "the y axis reaches 80 + 9: \(svg)")
        XCTAssertFalse(svg.lowercased().contains("nan"))
    }

    func testTextIsEscaped() {
        var chart = LineChart(title: "a<&>\"b", xLabel: "x & y", yLabel: "'q'",
                              series: [line("s<1>", [(0, 1), (1, 2)]), line("t", [(0, 2), (1, 1)])])
        chart.references = [ReferenceLine(label: "r&d", y: 1.5)]
        let svg = chart.svg()
        XCTAssertTrue(svg.contains("a&lt;&amp;&gt;&quot;b"))
        XCTAssertTrue(svg.contains("x &amp; y"))
        XCTAssertTrue(svg.contains("&apos;q&apos;"))
        XCTAssertTrue(svg.contains("s&lt;1&gt;"))
        XCTAssertTrue(svg.contains("r&amp;d"))
        XCTAssertFalse(svg.contains("<&>"))
        assertWellFormedSVG(svg, "escaped")
    }

    func testEscapeDropsCharactersXMLForbids() {
        XCTAssertEqual(XMLText.escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;")
        XCTAssertEqual(XMLText.escape("a\u{0}b\u{1B}c\td"), "abc\td")
        XCTAssertEqual(XMLText.escape("ünï ✓"), "ünï ✓")
    }

    func testNoDataIsShownWhenNothingCanBeDrawn() {
        XCTAssertTrue(chart([]).svg().contains(">no data<"))
        XCTAssertTrue(chart([line("gone", [(0, .nan), (1, .infinity)])]).svg().contains(">no data<"))
        var log = chart([line("neg", [(0, -1), (1, 0)])])
        log.logY = true
        XCTAssertTrue(log.svg().contains(">no data<"))
        XCTAssertFalse(chart([line("one", [(3, 4)])]).svg().contains(">no data<"))
    }

    func testLegendOnlyForSeveralSeriesOrReferences() {
        XCTAssertFalse(chart([line("alpha", [(0, 1), (1, 2)])]).svg().contains(">alpha<"))
        let two = chart([line("alpha", [(0, 1), (1, 2)]), line("beta", [(0, 2), (1, 1)])]).svg()
        XCTAssertTrue(two.contains(">alpha<") && two.contains(">beta<"))
        var withReference = chart([line("alpha", [(0, 1), (1, 2)])])
        withReference.references = [ReferenceLine(label: "baseline", y: 1.5)]
        let svg = withReference.svg()
        XCTAssertTrue(svg.contains(">alpha<"))
        XCTAssertTrue(svg.contains("stroke=\"#777777\" stroke-width=\"1.2\" stroke-dasharray"), "dashed grey line")
    }

    func testNonFiniteValuesBreakTheLine() {
        let svg = chart([line("s", [(0, 1), (1, 2), (2, .nan), (3, 1), (4, 3)])]).svg()
        let d = pathData(svg)
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d.first?.filter { $0 == "M" }.count, 2)
    }

    func testSinglePointIsDrawnAsADot() {
        XCTAssertTrue(chart([line("one", [(3, 4)])]).svg().contains("<circle"))
    }

    func testPanelStacksChartsWithAlignedPlots() throws {
        var narrowTicks = chart([line("a", [(0, 1), (10, 2)])])
        narrowTicks.height = 150
        var wideTicks = chart([line("b", [(0, 0.000_123_4), (10, 0.000_987_6)])])
        wideTicks.height = 170
        let svg = ChartPanel(charts: [narrowTicks, wideTicks]).svg()
        XCTAssertTrue(svg.contains("height=\"320\" viewBox=\"0 0 640 320\""))
        let frames = svg.components(separatedBy: "\n").filter { $0.hasPrefix("<rect") && $0.contains("fill=\"none\"") }
        XCTAssertEqual(frames.count, 2)
        let edges = frames.map { $0.split(separator: " ").filter { $0.hasPrefix("x=") || $0.hasPrefix("width=") } }
        XCTAssertEqual(edges.first, edges.last, "plot edges line up")
    }

    // MARK: Ticks

    func testLinearTicksAreNice() {
        let unit = AxisTicks.linear(min: 0, max: 1)
        assertClose(unit.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(unit.labels, ["0", "0.2", "0.4", "0.6", "0.8", "1"])

        let steps = AxisTicks.linear(min: 0, max: 4999)
        assertClose(steps.ticks, [0, 1000, 2000, 3000, 4000, 5000])
        XCTAssertEqual(steps.labels, ["0", "1k", "2k", "3k", "4k", "5k"])

        let accuracy = AxisTicks.linear(min: 0.12, max: 0.87)
        XCTAssertEqual(accuracy.lo, 0, accuracy: 1e-12)
        XCTAssertEqual(accuracy.hi, 1, accuracy: 1e-12)

        let small = AxisTicks.linear(min: 0.3, max: 0.6)
        XCTAssertEqual(small.labels, ["0.3", "0.35", "0.4", "0.45", "0.5", "0.55", "0.6"])

        let learningRate = AxisTicks.linear(min: 0, max: 1e-3)
        XCTAssertEqual(learningRate.labels, ["0", "2e-4", "4e-4", "6e-4", "8e-4", "1e-3"], "one notation per axis")
    }

    func testLinearTicksStayWithinFourToEightAndCoverTheRange() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<2000 {
            let a = Double.random(in: -1e6...1e6, using: &rng) * pow(10, Double.random(in: -8...0, using: &rng))
            let b = a + abs(a) * Double.random(in: 1e-6...10, using: &rng) + 1e-9
            let axis = AxisTicks.linear(min: a, max: b)
            XCTAssert((4...8).contains(axis.ticks.count), "\(a)...\(b) gave \(axis.ticks)")
            XCTAssertLessThanOrEqual(axis.lo, a + abs(a) * 1e-9)
            XCTAssertGreaterThanOrEqual(axis.hi, b - abs(b) * 1e-9)
            XCTAssertEqual(Set(axis.labels).count, axis.labels.count, "labels repeat: \(axis.labels)")
        }
    }

    func testDegenerateRangesStillGiveAnAxis() {
        for (a, b) in [(0.0, 0.0), (5, 5), (-3, -3), (1e-12, 1e-12), (Double.nan, 1), (-Double.infinity, 0)] {
            let axis = AxisTicks.linear(min: a, max: b)
            XCTAssertLessThan(axis.lo, axis.hi)
            XCTAssertGreaterThanOrEqual(axis.ticks.count, 2)
            XCTAssertTrue(axis.ticks.allSatisfy(\.isFinite))
        }
    }

    func testLogTicksAreDecades() {
        let axis = AxisTicks.logarithmic(min: 0.0013, max: 0.87)
        assertClose(axis.ticks, [0.001, 0.01, 0.1, 1])
        XCTAssertEqual(axis.labels, ["0.001", "0.01", "0.1", "1"])
        XCTAssertTrue(axis.isLog)

        let wide = AxisTicks.logarithmic(min: 1e-9, max: 3e6)
        XCTAssertLessThanOrEqual(wide.ticks.count, 8)
        XCTAssertLessThanOrEqual(wide.lo, 1e-9)
        XCTAssertGreaterThanOrEqual(wide.hi, 3e6)
        XCTAssertTrue(wide.labels.contains("1e-9"))

        let loss = AxisTicks.logarithmic(min: 0.3, max: 8)
        XCTAssertEqual(loss.labels, ["0.1", "0.2", "0.5", "1", "2", "5", "10"])

        let narrow = AxisTicks.logarithmic(min: 0.95, max: 1.2)
        XCTAssertGreaterThanOrEqual(narrow.ticks.count, 3)
        XCTAssertTrue(narrow.ticks.allSatisfy { $0 > 0 && $0 >= narrow.lo && $0 <= narrow.hi })

        let flat = AxisTicks.logarithmic(min: 2, max: 2)
        XCTAssertLessThan(flat.lo, 2)
        XCTAssertGreaterThan(flat.hi, 2)
    }

    func testCompactNumbersAreShortAndRoundTripTheValue() {
        let cases: [(Double, String)] = [(0, "0"), (0.001, "0.001"), (1e-5, "1e-5"), (2.5e-4, "2.5e-4"),
                                         (12000, "12k"), (1500, "1.5k"), (2.5e6, "2.5M"), (0.5, "0.5"),
                                         (-0.3, "-0.3"), (3e9, "3e9"), (0.30000000000000004, "0.3"), (42, "42")]
        for (value, text) in cases {
            XCTAssertEqual(NumberFormat.compact(value), text, "\(value)")
        }
        XCTAssertEqual(NumberFormat.coord(12.345), "12.3")
        XCTAssertEqual(NumberFormat.coord(-0.06), "-0.1")
        XCTAssertEqual(NumberFormat.coord(.nan), "0")
    }

    // MARK: Downsampling

    func testDownsamplingKeepsExtremes() {
        let points = spiky(count: 100_000)
        let runs = Downsample.segments(points, maxPoints: 1000)
        let kept = runs.joined()
        XCTAssertEqual(runs.count, 1)
        XCTAssertLessThanOrEqual(kept.count, 1000)
        XCTAssertTrue(kept.contains { $0.y == 10 })
        XCTAssertTrue(kept.contains { $0.y == -10 })
        XCTAssertEqual(kept.map(\.x), kept.map(\.x).sorted(), "order is kept")
    }

    func testLongSeriesPathStaysSmallAndKeepsItsEnvelope() throws {
        let points = spiky(count: 100_000)
        let svg = chart([line("loss", points)]).svg()
        let d = try XCTUnwrap(pathData(svg).first)
        let pairs = coordinatePairs(d)
        XCTAssertLessThanOrEqual(pairs.count, 2000)
        XCTAssertNil(d.range(of: #"\d\.\d\d"#, options: .regularExpression), "one decimal only")

        // A chart of only the extremes has the same axes, so its drawn extremes must match.
        let extremes = [points.first!, points.min { $0.y < $1.y }!, points.max { $0.y < $1.y }!, points.last!]
            .sorted { $0.x < $1.x }
        let reference = coordinatePairs(try XCTUnwrap(pathData(chart([line("loss", extremes)]).svg()).first))
        XCTAssertEqual(pairs.map(\.1).min(), reference.map(\.1).min())
        XCTAssertEqual(pairs.map(\.1).max(), reference.map(\.1).max())
    }

    // MARK: Helpers

    private func line(_ name: String, _ points: [(x: Double, y: Double)], dashed: Bool = false) -> ChartSeries {
        ChartSeries(name: name, points: points, dashed: dashed)
    }

    private func chart(_ series: [ChartSeries]) -> LineChart {
        LineChart(title: "T", xLabel: "step", yLabel: "value", series: series)
    }

    /// A noisy curve with one high and one low spike, each a single point.
    private func spiky(count: Int) -> [(x: Double, y: Double)] {
        (0..<count).map { i in
            let y = i == 12_345 ? 10 : i == 67_890 ? -10 : sin(Double(i) / 300) + 0.1 * sin(Double(i) * 7.3)
            return (x: Double(i), y: y)
        }
    }

    private func pathData(_ svg: String) -> [String] {
        svg.components(separatedBy: "<path d=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    private func coordinatePairs(_ d: String) -> [(Double, Double)] {
        d.split(whereSeparator: { "ML ".contains($0) }).compactMap { pair in
            let xy = pair.split(separator: ",").compactMap { Double($0) }
            return xy.count == 2 ? (xy[0], xy[1]) : nil
        }
    }

    private func assertClose(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "\(a) vs \(b)", file: file, line: line)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x, y, accuracy: 1e-9 * max(1, abs(y)), "\(a) vs \(b)", file: file, line: line)
        }
    }

    private func sampleDocuments() -> [(String, String)] {
        let loss = (0..<5000).map { i in (Double(i), 8 * exp(-Double(i) / 800) + 0.3 + 0.05 * sin(Double(i))) }
        var normal = chart([line("train", loss), line("val", loss.map { ($0.0, $0.1 * 1.1) }, dashed: true)])
        normal.showMarkers = false
        var log = chart([line("train", loss + [(5000, 0), (5001, -1)])])
        log.logY = true
        let many = chart((0..<12).map { k in line("run \(k)", (0..<20).map { (Double($0), Double($0 * k)) }) })
        var references = chart([line("probe", [(1, 0.3), (2, 0.5), (4, 0.7)])])
        references.references = [ReferenceLine(label: "random init", y: 0.1), ReferenceLine(label: "bad", y: .nan)]
        references.showMarkers = true
        var tiny = chart([line("a", [(0, 1), (1, 2)]), line("b", [(0, 2), (1, 1)])])
        (tiny.width, tiny.height) = (10, -5)
        var refOnly = chart([])
        refOnly.references = [ReferenceLine(label: "r", y: 3)]
        let panel = ChartPanel(charts: [normal, log, references])
        return [
            ("normal", normal.svg()), ("logY", log.svg()), ("many series", many.svg()),
            ("references", references.svg()), ("empty", chart([]).svg()), ("references only", refOnly.svg()),
            ("single point", chart([line("p", [(3, 4)])]).svg()),
            ("all equal", chart([line("c", [(0, 2), (1, 2), (2, 2)])]).svg()),
            ("all NaN", chart([line("n", [(0, .nan), (1, .nan)])]).svg()),
            ("zero x range", chart([line("z", [(5, 1), (5, 2), (5, 3)])]).svg()),
            ("non-finite x", chart([line("z", [(.infinity, 1), (.nan, 2)])]).svg()),
            ("huge values", chart([line("h", [(0, -1e300), (1, 1e300)])]).svg()),
            ("tiny canvas", tiny.svg()), ("panel", panel.svg()), ("empty panel", ChartPanel(charts: []).svg()),
        ]
    }

    private func assertWellFormedSVG(_ svg: String, _ name: String,
                                     file: StaticString = #filePath, line: UInt = #line) {
        let root = RootCapture()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = root
        XCTAssertTrue(parser.parse(), "\(name): \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        XCTAssertEqual(root.name, "svg", name, file: file, line: line)
        for attribute in ["width", "height", "viewBox", "xmlns"] {
            XCTAssertNotNil(root.attributes[attribute], "\(name): \(attribute)", file: file, line: line)
        }
        XCTAssertEqual(root.attributes["xmlns"], "http://www.w3.org/2000/svg", name, file: file, line: line)
        let lower = svg.lowercased()
        XCTAssertFalse(lower.contains("nan") || lower.contains("inf"), "\(name) has nan/inf", file: file, line: line)
        XCTAssertFalse(lower.contains("<script") || lower.contains("<style"), name, file: file, line: line)
    }
}

/// Records the document's root element.
private final class RootCapture: NSObject, XMLParserDelegate {
    var name: String?
    var attributes: [String: String] = [:]

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String]) {
        guard name == nil else { return }
        name = elementName
        self.attributes = attributes
    }
}
