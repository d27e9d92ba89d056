import CKernels

/// Row gathers: how token subsets (context blocks, target positions) enter
/// the dense (rows, width) buffers, and how positional embeddings are looked
/// up for them. Pure copies and adds, so each equals the loop it replaces bit
/// for bit.
public enum Rows {
    /// dst[i] = table[indices[i]] for i < count: rows of `width` floats.
    public static func gather(_ table: UnsafePointer<Float>, width: Int, indices: UnsafePointer<Int32>, count: Int,
                              into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count { (dst + i * width).update(from: table + Int(indices[i]) * width, count: width) }
    }

    /// Per sample: dst[s, j] = src[s, indices[s, j]] for s < samples and
    /// j < count, where src holds `sourceRows` rows per sample.
    ///   src (samples, sourceRows, width), indices (samples, count), dst (samples, count, width)
    public static func gather(_ src: UnsafePointer<Float>, width: Int, samples: Int, sourceRows: Int,
                              indices: UnsafePointer<Int32>, count: Int, into dst: UnsafeMutablePointer<Float>) {
        for s in 0..<samples {
            gather(src + s * sourceRows * width, width: width, indices: indices + s * count, count: count,
                   into: dst + s * count * width)
        }
    }

    /// dst[i] += table[indices[i]] for i < count (a positional embedding
    /// added to tokens at those positions).
    public static func gatherAdd(_ table: UnsafePointer<Float>, width: Int, indices: UnsafePointer<Int32>, count: Int,
                                 into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count { ck_add(table + Int(indices[i]) * width, dst + i * width, width) }
    }

    /// y += x over n floats.
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        ck_add(x, y, n)
    }
}
