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
        let w = image.width, h = image.height
        if w == size && h == size { return image }
        // Resized dimensions: the shorter side becomes exactly `size`.
        let (rw, rh): (Int, Int) = w <= h
            ? (size, max(size, Int((Double(h) * Double(size) / Double(w)).rounded())))
            : (max(size, Int((Double(w) * Double(size) / Double(h)).rounded())), size)
        let x0 = (rw - size) / 2, y0 = (rh - size) / 2
        let tx = taps(inSize: w, outSize: rw, outStart: x0, outCount: size)
        let ty = taps(inSize: h, outSize: rh, outStart: y0, outCount: size)
        return resample(image, tx: tx, ty: ty, size: size)
    }

    /// The box (left, top, width, height) of `image` resized to size×size
    /// (random resized crop during pretraining).
    public static func resizedCrop(_ image: Image, left: Int, top: Int, width: Int, height: Int, to size: Int) -> Image {
        if left == 0 && top == 0 && width == image.width && height == image.height && width == size && height == size {
            return image
        }
        var tx = taps(inSize: width, outSize: size, outStart: 0, outCount: size)
        var ty = taps(inSize: height, outSize: size, outStart: 0, outCount: size)
        tx.start = tx.start.map { $0 + Int32(left) }
        ty.start = ty.start.map { $0 + Int32(top) }
        return resample(image, tx: tx, ty: ty, size: size)
    }

    /// Separable resampling to size×size with precomputed taps per axis.
    static func resample(_ image: Image, tx: Taps, ty: Taps, size: Int) -> Image {
        let w = image.width, c = image.channels
        // Horizontal pass over the input rows the vertical pass needs, then
        // the vertical pass; raw pointers keep the inner loops free of
        // bounds and uniqueness checks (this is most of Prepare's time on
        // large JPEGs).
        let rowLo = Int(ty.start.first!)
        let rowHi = zip(ty.start, ty.count).map { Int($0 + $1) }.max()!
        let rowLen = size * c
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: (rowHi - rowLo) * rowLen)
        defer { tmp.deallocate() }
        var out = [UInt8](repeating: 0, count: size * rowLen)
        image.pixels.withUnsafeBufferPointer { srcBuf in
            tx.weights.withUnsafeBufferPointer { xw in
                for y in rowLo..<rowHi {
                    let srow = srcBuf.baseAddress! + y * w * c
                    let trow = tmp + (y - rowLo) * rowLen
                    for ox in 0..<size {
                        let wts = xw.baseAddress! + Int(tx.offset[ox])
                        let p = srow + Int(tx.start[ox]) * c
                        let n = Int(tx.count[ox])
                        if c == 3 {
                            var a0: Float = 0, a1: Float = 0, a2: Float = 0
                            for k in 0..<n {
                                let wk = wts[k], q = p + 3 * k
                                a0 += wk * Float(q[0]); a1 += wk * Float(q[1]); a2 += wk * Float(q[2])
                            }
                            trow[3 * ox] = a0; trow[3 * ox + 1] = a1; trow[3 * ox + 2] = a2
                        } else {
                            var a: Float = 0
                            for k in 0..<n { a += wts[k] * Float(p[k]) }
                            trow[ox] = a
                        }
                    }
                }
            }
        }
        // Vertical pass: whole rows at a time, so the inner loop vectorises.
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: rowLen)
        defer { acc.deallocate() }
        out.withUnsafeMutableBufferPointer { outBuf in
            ty.weights.withUnsafeBufferPointer { yw in
                for oy in 0..<size {
                    let s0 = Int(ty.start[oy]) - rowLo, n = Int(ty.count[oy])
                    let wts = yw.baseAddress! + Int(ty.offset[oy])
                    acc.initialize(repeating: 0.5, count: rowLen)  // + 0.5: round half up
                    for k in 0..<n {
                        let wk = wts[k], row = tmp + (s0 + k) * rowLen
                        for i in 0..<rowLen { acc[i] += wk * row[i] }
                    }
                    let orow = outBuf.baseAddress! + oy * rowLen
                    for i in 0..<rowLen { orow[i] = UInt8(min(255, max(0, acc[i]))) }
                }
            }
        }
        return Image(width: size, height: size, channels: c, pixels: out)
    }
}
