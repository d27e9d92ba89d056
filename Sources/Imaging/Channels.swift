/// Conversion to the configured channel count.
public enum Channels {
    /// Gray to RGB replicates; RGB to gray uses `luma`, so folders prepared
    /// here match what a PyTorch/PIL pipeline would see.
    public static func convert(_ image: Image, to channels: Int) -> Image {
        precondition(channels == 1 || channels == 3)
        if image.channels == channels { return image }
        let n = image.width * image.height
        var out = [UInt8](repeating: 0, count: n * channels)
        if channels == 3 {
            for i in 0..<n {
                let v = image.pixels[i]
                out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
            }
        } else {
            for i in 0..<n {
                out[i] = luma(image.pixels[3 * i], image.pixels[3 * i + 1], image.pixels[3 * i + 2])
            }
        }
        return Image(width: image.width, height: image.height, channels: channels, pixels: out)
    }

    /// ITU-R 601 luma (299/587/114 per mille) with the same integer rounding
    /// as PIL's `convert("L")`.
    @inline(__always)
    static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let weighted: UInt32 = UInt32(r) * 19595 + UInt32(g) * 38470 + UInt32(b) * 7471
        return UInt8((weighted + 0x8000) >> 16)
    }
}
