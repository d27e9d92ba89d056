/// Thinning of long series for drawing.
enum Downsample {
    typealias Point = (x: Double, y: Double)

    /// Splits `points` into runs of finite points (a non-finite x or y breaks
    /// the line). Beyond `maxPoints` it keeps only the lowest and highest
    /// point of each of `maxPoints / 2` index buckets, in order: a bucket is
    /// about a pixel wide, so the drawn envelope, spikes and the global
    /// extremes survive. Buckets go by index, not x, because series arrive in
    /// step order and this needs no sorting. A bucket with no finite point
    /// breaks the line; a gap inside a bucket is narrower than a pixel and
    /// is not drawn.
    static func segments(_ points: [Point], maxPoints: Int = 1000) -> [[Point]] {
        var segments: [[Point]] = []
        var current: [Point] = []
        func breakLine() {
            if !current.isEmpty { segments.append(current) }
            current = []
        }
        func isDrawable(_ p: Point) -> Bool { p.x.isFinite && p.y.isFinite }

        let buckets = max(1, maxPoints / 2)
        if points.count <= max(maxPoints, 2) {
            for p in points {
                if isDrawable(p) { current.append(p) } else { breakLine() }
            }
            breakLine()
            return segments
        }
        let n = points.count
        for b in 0..<buckets {
            var low: Int?, high: Int?
            for i in (b * n / buckets)..<((b + 1) * n / buckets) where isDrawable(points[i]) {
                if low.map({ points[i].y < points[$0].y }) ?? true { low = i }
                if high.map({ points[i].y > points[$0].y }) ?? true { high = i }
            }
            guard let low, let high else {
                breakLine()
                continue
            }
            current.append(points[min(low, high)])
            if low != high { current.append(points[max(low, high)]) }
        }
        breakLine()
        return segments
    }
}
