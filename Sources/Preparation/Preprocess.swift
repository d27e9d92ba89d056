import Imaging

/// The per-image transform: channel count, then shorter side to crop_size
/// and centre crop.
enum Preprocess {
    static func apply(_ image: Image, settings: PrepareInputs) throws -> Image {
        let converted = Channels.convert(image, to: settings.channels)
        return Resize.shorterSideAndCenterCrop(converted, to: settings.cropSize)
    }

    /// Per-channel sum then sum of squares of the pixel values (exact integers,
    /// so the statistics do not depend on thread scheduling).
    static func channelSums(_ image: Image, into out: UnsafeMutablePointer<UInt64>) {
        let c = image.channels
        for ch in 0..<c { out[ch] = 0; out[c + ch] = 0 }
        image.pixels.withUnsafeBufferPointer { p in
            for ch in 0..<c {
                var s: UInt64 = 0, q: UInt64 = 0
                var i = ch
                while i < p.count {
                    let v = UInt64(p[i])
                    s += v
                    q += v * v
                    i += c
                }
                out[ch] = s
                out[c + ch] = q
            }
        }
    }
}
