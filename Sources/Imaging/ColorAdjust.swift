/// The adjustments of torchvision's `ColorJitter` on PIL images, plus
/// `RandomGrayscale`'s conversion, as deterministic functions of their factor
/// (`ColorJitterParameters` draws the factors). Brightness, contrast and
/// saturation are PIL's `ImageEnhance` blends d + f·(v − d) towards a
/// degenerate image d. Results are clamped to [0, 255] and rounded (PIL
/// truncates, darkening by half a level on average). A 1-channel image has
/// no colour, so saturation, hue and grayscale leave it unchanged, as they
/// do in torchvision.
public enum ColorAdjust {
    /// `ImageEnhance.Brightness`: blend with black, v·f.
    public static func brightness(_ image: Image, factor: Double) -> Image {
        let f = Float(factor)
        return mapSamples(image) { $0 * f }
    }

    /// `ImageEnhance.Contrast`: blend with a solid gray of the image's mean
    /// luminance m = int(mean(L) + 0.5), m + f·(v − m).
    public static func contrast(_ image: Image, factor: Double) -> Image {
        let m = Float(meanLuminance(image)), f = Float(factor)
        return mapSamples(image) { m + f * ($0 - m) }
    }

    /// `ImageEnhance.Color`: blend with the pixel's own luma g, g + f·(v − g).
    public static func saturation(_ image: Image, factor: Double) -> Image {
        guard image.channels == 3 else { return image }
        let f = Float(factor)
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in stride(from: 0, to: src.count, by: 3) {
                    let g = Float(Channels.luma(src[i], src[i + 1], src[i + 2]))
                    for k in i..<i + 3 { dst[k] = UInt8(clampingRounded: g + f * (Float(src[k]) - g)) }
                }
            }
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: out)
    }

    /// Rotates every pixel's hue by `shift` turns (wrapping), keeping its HSV
    /// saturation and value. In float throughout, so shift 0 is the identity
    /// (PIL's 8-bit HSV round trip is not quite).
    public static func hue(_ image: Image, shift: Double) -> Image {
        guard image.channels == 3 else { return image }
        // The shift in sextants (sixths of a turn), wrapped into [0, 6).
        let turns = shift - shift.rounded(.down)
        let sextants = Float(6 * turns)
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in stride(from: 0, to: src.count, by: 3) {
                    let r = Float(src[i]), g = Float(src[i + 1]), b = Float(src[i + 2])
                    let hi = max(r, g, b), lo = min(r, g, b), chroma = hi - lo
                    guard chroma > 0 else {
                        dst[i] = src[i]; dst[i + 1] = src[i + 1]; dst[i + 2] = src[i + 2]
                        continue
                    }
                    // Hue in sextants as in Python's colorsys, in [-1, 5) before the shift.
                    var h: Float
                    if hi == r { h = (g - b) / chroma } else if hi == g { h = 2 + (b - r) / chroma } else { h = 4 + (r - g) / chroma }
                    h += sextants
                    // Into [0, 6); -tiny + 6 rounds to 6, hence the second test.
                    if h < 0 { h += 6 }
                    if h >= 6 { h -= 6 }
                    let sextant = Int(h), f = h - Float(sextant)
                    let falling = hi - chroma * f, rising = lo + chroma * f
                    let (ro, go, bo): (Float, Float, Float)
                    switch sextant {
                    case 0: (ro, go, bo) = (hi, rising, lo)
                    case 1: (ro, go, bo) = (falling, hi, lo)
                    case 2: (ro, go, bo) = (lo, hi, rising)
                    case 3: (ro, go, bo) = (lo, falling, hi)
                    case 4: (ro, go, bo) = (rising, lo, hi)
                    default: (ro, go, bo) = (hi, lo, falling)
                    }
                    dst[i] = UInt8(clampingRounded: ro)
                    dst[i + 1] = UInt8(clampingRounded: go)
                    dst[i + 2] = UInt8(clampingRounded: bo)
                }
            }
        }
        return Image(width: image.width, height: image.height, channels: 3, pixels: out)
    }

    /// PIL's `convert("L")` replicated back to the image's channel count.
    public static func grayscale(_ image: Image) -> Image {
        Channels.convert(Channels.convert(image, to: 1), to: image.channels)
    }

    /// The mean of the image's L conversion rounded half up, as
    /// `ImageEnhance.Contrast` computes it: int(mean + 0.5).
    static func meanLuminance(_ image: Image) -> Int {
        let n = image.width * image.height
        guard n > 0 else { return 0 }
        var sum = 0
        image.pixels.withUnsafeBufferPointer { src in
            if image.channels == 3 {
                for i in stride(from: 0, to: src.count, by: 3) { sum += Int(Channels.luma(src[i], src[i + 1], src[i + 2])) }
            } else {
                for v in src { sum += Int(v) }
            }
        }
        return Int(Double(sum) / Double(n) + 0.5)
    }

    /// `transform` applied to every sample independently.
    @inline(__always)
    static func mapSamples(_ image: Image, _ transform: (Float) -> Float) -> Image {
        var out = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count { dst[i] = UInt8(clampingRounded: transform(Float(src[i]))) }
            }
        }
        return Image(width: image.width, height: image.height, channels: image.channels, pixels: out)
    }
}
