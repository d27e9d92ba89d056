import Foundation

/// The official I-JEPA Gaussian blur (p = 0.5, radius ~ U[0.1, 2.0], PIL's
/// `ImageFilter.GaussianBlur`) as a separable Gaussian of standard deviation
/// sigma: taps out to ceil(3·sigma) either side, weights normalised, edge
/// pixels extended. PIL approximates the same Gaussian with box blurs.
public enum GaussianBlur {
    public static func blur(_ image: Image, sigma: Double) -> Image {
        precondition(sigma > 0, "blur sigma must be positive")
        let w = image.width, h = image.height, c = image.channels
        guard w > 0, h > 0 else { return image }
        let radius = Int((3 * sigma).rounded(.up))
        let taps = 2 * radius + 1
        let weights = kernel(sigma: sigma, radius: radius)
        let rowLen = w * c

        // Each input row with `radius` edge pixels replicated either side, so
        // the horizontal taps need no bounds logic; whole-row loops vectorise.
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: (w + 2 * radius) * c)
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: h * rowLen)
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: rowLen)
        defer { padded.deallocate(); rows.deallocate(); acc.deallocate() }
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let srow = src.baseAddress! + y * rowLen
                for x in 0..<(w + 2 * radius) {
                    let sx = min(max(x - radius, 0), w - 1)
                    for ch in 0..<c { padded[x * c + ch] = Float(srow[sx * c + ch]) }
                }
                let hrow = rows + y * rowLen
                hrow.initialize(repeating: 0, count: rowLen)
                for k in 0..<taps {
                    let wk = weights[k], p = padded + k * c
                    for i in 0..<rowLen { hrow[i] += wk * p[i] }
                }
            }
        }
        // Vertical pass over the horizontally blurred rows, edge rows extended.
        var out = [UInt8](repeating: 0, count: h * rowLen)
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<h {
                acc.initialize(repeating: 0, count: rowLen)
                for k in 0..<taps {
                    let wk = weights[k], p = rows + min(max(y + k - radius, 0), h - 1) * rowLen
                    for i in 0..<rowLen { acc[i] += wk * p[i] }
                }
                let orow = dst.baseAddress! + y * rowLen
                for i in 0..<rowLen { orow[i] = UInt8(clampingRounded: acc[i]) }
            }
        }
        return Image(width: w, height: h, channels: c, pixels: out)
    }

    /// The sigma to blur a sample with, or nil when it is not blurred:
    /// p = 0.5, then sigma ~ U[0.1, 2.0], from `uniform` (doubles in [0, 1)).
    public static func drawSigma(uniform: () -> Double) -> Double? {
        uniform() < 0.5 ? 0.1 + 1.9 * uniform() : nil
    }

    /// Normalised Gaussian weights at offsets −radius...radius.
    static func kernel(sigma: Double, radius: Int) -> [Float] {
        let g = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = g.reduce(0, +)
        return g.map { Float($0 / total) }
    }
}
