/// Conversion to the configured channel count.
public enum Channels {
    /// Gray to RGB replicates; RGB to gray uses ITU-R 601 luma with the same
    /// integer rounding as PIL's `convert("L")`, so folders prepared here
    /// match what a PyTorch/PIL pipeline would see.
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
                let r = UInt32(image.pixels[3 * i]), g = UInt32(image.pixels[3 * i + 1]), b = UInt32(image.pixels[3 * i + 2])
                out[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
            }
        }
        return Image(width: image.width, height: image.height, channels: channels, pixels: out)
    }
}
