/// Resize so the shorter side equals `size`, then take the centre
/// `size`x`size` square (the usual evaluation transform). Shrinking averages
/// the exact area each output pixel covers; enlarging interpolates
/// bilinearly with pixel centres at half-integers. Only the cropped region is
/// computed.
public enum Resize {
    /// One output coordinate's input taps and weights (weights sum to 1).
    struct Taps {
        var start: [Int32] = []
        var count: [Int32] = []
        var weights: [Float] = []
        var offset: [Int32] = []
    }

    /// Taps for `outCount` output pixels starting at output index `outStart`
    /// of a resize from `inSize` to `outSize` along one axis.
    static func taps(inSize: Int, outSize: Int, outStart: Int, outCount: Int) -> Taps {
        var t = Taps()
        let scale = Double(inSize) / Double(outSize)
        for o in outStart..<outStart + outCount {
            t.offset.append(Int32(t.weights.count))
            if scale >= 1 {
                // Area average over [o*scale, (o+1)*scale).
                let lo = Double(o) * scale, hi = Double(o + 1) * scale
                let first = Int(lo.rounded(.down)), last = min(inSize - 1, Int((hi - 1e-9).rounded(.down)))
                t.start.append(Int32(first))
                t.count.append(Int32(last - first + 1))
                for i in first...last {
                    let w = min(hi, Double(i + 1)) - max(lo, Double(i))
                    t.weights.append(Float(w / scale))
                }
            } else {
                let x = (Double(o) + 0.5) * scale - 0.5
                let x0 = Int(x.rounded(.down))
                let f = x - Double(x0)
                let a = min(max(x0, 0), inSize - 1), b = min(max(x0 + 1, 0), inSize - 1)
                t.start.append(Int32(a))
                t.count.append(Int32(b - a + 1))
                if a == b {
                    t.weights.append(1)
                } else {
                    t.weights.append(Float(1 - f))
                    t.weights.append(Float(f))
                }
            }
        }
        return t
    }

    /// `pixels`: HWC interleaved. Returns size*size*channels bytes.
    public static func shorterSideAndCenterCrop(_ image: Image, to size: Int) -> Image {
        let w = image.width, h = image.height, c = image.channels
        if w == size && h == size { return image }
        // Resized dimensions: the shorter side becomes exactly `size`.
        let (rw, rh): (Int, Int) = w <= h
            ? (size, max(size, Int((Double(h) * Double(size) / Double(w)).rounded())))
            : (max(size, Int((Double(w) * Double(size) / Double(h)).rounded())), size)
        let x0 = (rw - size) / 2, y0 = (rh - size) / 2
        let tx = taps(inSize: w, outSize: rw, outStart: x0, outCount: size)
        let ty = taps(inSize: h, outSize: rh, outStart: y0, outCount: size)
        // Horizontal pass over the input rows the vertical pass needs.
        let rowLo = Int(ty.start.first!)
        let rowHi = zip(ty.start, ty.count).map { Int($0 + $1) }.max()!
        var tmp = [Float](repeating: 0, count: (rowHi - rowLo) * size * c)
        image.pixels.withUnsafeBufferPointer { src in
            for y in rowLo..<rowHi {
                let srow = y * w * c, trow = (y - rowLo) * size * c
                for ox in 0..<size {
                    let s = Int(tx.start[ox]), n = Int(tx.count[ox]), wo = Int(tx.offset[ox])
                    for ch in 0..<c {
                        var acc: Float = 0
                        for k in 0..<n { acc += tx.weights[wo + k] * Float(src[srow + (s + k) * c + ch]) }
                        tmp[trow + ox * c + ch] = acc
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: size * size * c)
        for oy in 0..<size {
            let s = Int(ty.start[oy]) - rowLo, n = Int(ty.count[oy]), wo = Int(ty.offset[oy])
            for i in 0..<size * c {
                var acc: Float = 0
                for k in 0..<n { acc += ty.weights[wo + k] * tmp[(s + k) * size * c + i] }
                out[oy * size * c + i] = UInt8(min(255, max(0, acc.rounded())))
            }
        }
        return Image(width: size, height: size, channels: c, pixels: out)
    }
}
