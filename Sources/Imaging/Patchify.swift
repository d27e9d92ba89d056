/// Cuts a square HWC image into `patch`x`patch` patches in raster order,
/// each flattened channel-major, then row, then column: the layout of a
/// PyTorch `Conv2d(C, E, patch, stride=patch)` weight reshaped to [E, C*p*p],
/// so a linear patch embedding over these rows equals that convolution.
public enum Patchify {
    public static func grid(size: Int, patch: Int) -> (rows: Int, cols: Int) { (size / patch, size / patch) }

    /// Writes numPatches * channels*patch*patch bytes to `out`.
    public static func extract(_ image: Image, patch: Int, into out: UnsafeMutablePointer<UInt8>) {
        let c = image.channels, w = image.width
        let gr = image.height / patch, gc = w / patch
        let dim = c * patch * patch
        image.pixels.withUnsafeBufferPointer { src in
            for pr in 0..<gr {
                for pc in 0..<gc {
                    let base = (pr * gc + pc) * dim
                    for ch in 0..<c {
                        for y in 0..<patch {
                            let rowStart = ((pr * patch + y) * w + pc * patch) * c + ch
                            let o = base + ch * patch * patch + y * patch
                            for x in 0..<patch { out[o + x] = src[rowStart + x * c] }
                        }
                    }
                }
            }
        }
    }
}
