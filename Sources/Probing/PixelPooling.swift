/// Average pooling of an image's patch-major pixels, so the raw-pixel
/// baseline of large images stays a cheap, bounded probe (probe.pixel_dims)
/// rather than a 150,528-wide linear model: each patch (C, p, p) becomes
/// (C, p/f, p/f), the mean of every f x f block. f = 1 leaves the pixels as
/// they are.
struct PixelPooling: Equatable {
    let patches: Int
    let channels: Int
    let patchSize: Int
    /// A divisor of the patch side.
    let factor: Int

    var side: Int { patchSize / factor }
    var inputDim: Int { patches * channels * patchSize * patchSize }
    var outputDim: Int { patches * channels * side * side }

    /// The smallest factor whose output fits `budget` values (1 when the
    /// pixels already do); the patch side (one mean per patch and channel)
    /// when none does.
    static func fitting(patches: Int, channels: Int, patchSize: Int, budget: Int) -> PixelPooling {
        for f in 1...patchSize where patchSize % f == 0 {
            let p = PixelPooling(patches: patches, channels: channels, patchSize: patchSize, factor: f)
            if p.outputDim <= budget { return p }
        }
        return PixelPooling(patches: patches, channels: channels, patchSize: patchSize, factor: patchSize)
    }

    /// One image: `x` (patches, C, p, p) -> `y` (patches, C, p/f, p/f).
    func pool(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let p = patchSize, s = side, f = factor, inv = 1 / Float(f * f)
        for plane in 0..<(patches * channels) {
            let src = x + plane * p * p, dst = y + plane * s * s
            for r in 0..<s {
                for c in 0..<s {
                    var sum: Float = 0
                    for dy in 0..<f { for dx in 0..<f { sum += src[(r * f + dy) * p + c * f + dx] } }
                    dst[r * s + c] = sum * inv
                }
            }
        }
    }

    /// What the report says about it; nil when nothing is pooled.
    var note: String? {
        factor == 1 ? nil
            : "Raw pixels: each \(patchSize)x\(patchSize) patch average-pooled to \(side)x\(side) (\(outputDim) values per image instead of \(inputDim), probe.pixel_dims)."
    }
}
