/// The block arithmetic of I-JEPA's multi-block masks on a `grid`×`grid`
/// patch grid: which block a draw gives, and whether the mask keys can
/// always be satisfied. A leaf with no dependencies, because two layers
/// need the same formula: the configuration's rule on the `mask` keys
/// (checked when a config loads) and the sampler that trains with them.
public struct BlockGeometry: Sendable, Equatable {
    public let grid: Int

    public init(grid: Int) { self.grid = grid }

    /// Block height and width for a uniform draw `r` in [0, 1): the same draw
    /// sets the scale and the aspect ratio (as in the official code), and the
    /// block is kept strictly inside the grid.
    public func blockSize(_ r: Double, scale: ClosedRange<Double>, aspect: ClosedRange<Double>) -> (h: Int, w: Int) {
        let s = scale.lowerBound + r * (scale.upperBound - scale.lowerBound)
        let keep = Double(Int(Double(grid * grid) * s))
        let a = aspect.lowerBound + r * (aspect.upperBound - aspect.lowerBound)
        var h = Int((keep * a).squareRoot().rounded()), w = Int((keep / a).squareRoot().rounded())
        while h >= grid { h -= 1 }
        while w >= grid { w -= 1 }
        return (max(h, 0), max(w, 0))
    }

    /// Smallest block (in patches) over the whole range of draws.
    public func smallestBlock(scale: ClosedRange<Double>, aspect: ClosedRange<Double>) -> (patches: Int, h: Int, w: Int) {
        var best = (patches: Int.max, h: 0, w: 0)
        for i in 0...4096 {
            let (h, w) = blockSize(min(Double(i) / 4096, 1 - 1e-12), scale: scale, aspect: aspect)
            if h * w < best.patches { best = (h * w, h, w) }
        }
        return best
    }

    /// Why a configuration cannot always produce valid masks: its smallest
    /// block (h x w) is not larger than `minKeep`.
    public enum Problem: Sendable, Equatable {
        case targetTooSmall(h: Int, w: Int)
        case contextTooSmall(h: Int, w: Int)
    }

    /// What keeps these settings from always producing valid masks (the
    /// official collator would retry forever); nil when they can. The
    /// context block is square (aspect 1).
    public func problem(predScale: ClosedRange<Double>, aspectRatio: ClosedRange<Double>, encScale: ClosedRange<Double>,
                        minKeep: Int) -> Problem? {
        let t = smallestBlock(scale: predScale, aspect: aspectRatio)
        if t.patches <= minKeep { return .targetTooSmall(h: t.h, w: t.w) }
        let c = smallestBlock(scale: encScale, aspect: 1...1)
        if c.patches <= minKeep { return .contextTooSmall(h: c.h, w: c.w) }
        return nil
    }
}
