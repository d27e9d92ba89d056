import CKernels

/// Row gathers and scatters: how token subsets (context blocks, target
/// positions) enter and leave the dense [rows, width] buffers.
public enum Rows {
    /// dst[i] = src[index[i]] (rows of `width` floats).
    public static func gather(_ src: UnsafePointer<Float>, width: Int, indices: UnsafePointer<Int32>, count: Int,
                              into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count { (dst + i * width).update(from: src + Int(indices[i]) * width, count: width) }
    }

    /// dst[index[i]] += src[i]: the backward of gather.
    public static func scatterAdd(_ src: UnsafePointer<Float>, width: Int, indices: UnsafePointer<Int32>, count: Int,
                                  into dst: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let d = dst + Int(indices[i]) * width, s = src + i * width
            for j in 0..<width { d[j] += s[j] }
        }
    }

    /// y += x over n floats.
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        ck_add(x, y, n)
    }
}
