/// The collapse statistic, defined once: the mean over feature dimensions
/// of each dimension's standard deviation across rows (images), with n - 1
/// in the denominator as torch.std has it. Near 0 means every image maps to
/// nearly the same vector. Pretrain logs it for the target encoder's
/// features pooled over tokens (`target_feature_std`), Probe for the probed
/// features (`feature_std`).
public enum FeatureSpread {
    /// `x`: (rows, width), row-major. Two passes in Double (mean, then squared
    /// deviations), each row in order, so the result does not depend on how
    /// the rows were split into batches. Fewer than two rows have no spread: 0.
    public static func meanStd(_ x: UnsafePointer<Float>, rows n: Int, width e: Int) -> Double {
        guard n > 1, e > 0 else { return 0 }
        var mean = [Double](repeating: 0, count: e), squares = [Double](repeating: 0, count: e)
        for r in 0..<n {
            let row = x + r * e
            for j in 0..<e { mean[j] += Double(row[j]) }
        }
        for j in 0..<e { mean[j] /= Double(n) }
        for r in 0..<n {
            let row = x + r * e
            for j in 0..<e {
                let d = Double(row[j]) - mean[j]
                squares[j] += d * d
            }
        }
        var total = 0.0
        for j in 0..<e { total += (squares[j] / Double(n - 1)).squareRoot() }
        return total / Double(e)
    }

    /// The same over an array of `width`-wide rows.
    public static func meanStd(_ x: [Float], width e: Int) -> Double {
        x.withUnsafeBufferPointer { meanStd($0.baseAddress!, rows: e > 0 ? x.count / e : 0, width: e) }
    }
}
