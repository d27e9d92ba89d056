/// One of `ColorJitter`'s four adjustments.
public enum ColorAdjustment: CaseIterable, Sendable {
    case brightness, contrast, saturation, hue
}

/// One draw of the official I-JEPA colour distortion of strength s,
/// `RandomApply([ColorJitter(0.8s, 0.8s, 0.8s, 0.2s)], p=0.8)` then
/// `RandomGrayscale(p=0.2)`, with its random choices made explicit so that
/// applying it is deterministic.
public struct ColorJitterParameters: Sendable, Equatable {
    /// Whether the jitter applies (`RandomApply`'s coin).
    public var jitters: Bool
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double
    /// Hue shift in turns.
    public var hue: Double
    /// The order of the four adjustments (torchvision's `randperm(4)`).
    public var order: [ColorAdjustment]
    /// Whether the result is converted to gray (`RandomGrayscale`'s coin).
    public var grayscale: Bool

    public init(jitters: Bool = false, brightness: Double = 1, contrast: Double = 1, saturation: Double = 1,
                hue: Double = 0, order: [ColorAdjustment] = ColorAdjustment.allCases, grayscale: Bool = false) {
        self.jitters = jitters
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self.order = order
        self.grayscale = grayscale
    }

    /// The jitter's adjustments in `order` when it applies, then grayscale.
    /// Identity factors are skipped: they change nothing, and strength 0
    /// draws them where torchvision skips the adjustment.
    public func apply(to image: Image) -> Image {
        var out = image
        if jitters {
            for adjustment in order {
                switch adjustment {
                case .brightness where brightness != 1: out = ColorAdjust.brightness(out, factor: brightness)
                case .contrast where contrast != 1: out = ColorAdjust.contrast(out, factor: contrast)
                case .saturation where saturation != 1: out = ColorAdjust.saturation(out, factor: saturation)
                case .hue where hue != 0: out = ColorAdjust.hue(out, shift: hue)
                default: break
                }
            }
        }
        if grayscale { out = ColorAdjust.grayscale(out) }
        return out
    }

    /// Draws the parameters as torchvision does, from `uniform` (doubles in
    /// [0, 1)): the jitter coin (p = 0.8); when it applies, a uniform random
    /// order and factors brightness, contrast, saturation ~ U[max(0, 1 − 0.8s),
    /// 1 + 0.8s] and hue ~ U[−0.2s, 0.2s]; then the grayscale coin (p = 0.2).
    public static func draw(strength s: Double, uniform: () -> Double) -> ColorJitterParameters {
        // torchvision rejects hue ranges beyond half a turn.
        precondition(s >= 0 && 0.2 * s <= 0.5, "colour distortion strength must lie in [0, 2.5]")
        var p = ColorJitterParameters()
        p.jitters = uniform() < 0.8
        if p.jitters {
            // Fisher-Yates: each of the 24 orders equally likely.
            for i in stride(from: p.order.count - 1, to: 0, by: -1) {
                p.order.swapAt(i, Int(uniform() * Double(i + 1)))
            }
            p.brightness = factor(spread: 0.8 * s, uniform)
            p.contrast = factor(spread: 0.8 * s, uniform)
            p.saturation = factor(spread: 0.8 * s, uniform)
            p.hue = s > 0 ? 0.2 * s * (2 * uniform() - 1) : 0
        }
        p.grayscale = uniform() < 0.2
        return p
    }

    /// U[max(0, 1 − spread), 1 + spread]; exactly 1, drawing nothing, when
    /// spread is 0.
    static func factor(spread: Double, _ uniform: () -> Double) -> Double {
        guard spread > 0 else { return 1 }
        let lo = max(0, 1 - spread)
        return lo + uniform() * (1 + spread - lo)
    }
}
