import Threads

/// Per-feature mean/std fitted on training rows, applied to any rows in
/// place: x ← (x - mean) / std.
public struct Standardizer: Sendable {
    public let mean: [Float]
    /// Population std (as scikit-learn's StandardScaler); 1 for a feature
    /// that is constant up to rounding (std ≤ 1e-6·max(1, |mean|)), so it
    /// maps to 0 instead of NaN or a huge value.
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && std.allSatisfy { $0 > 0 })
        self.mean = mean
        self.std = std
    }

    /// Two passes (mean, then squared deviations), summed in Double with
    /// per-worker partials: pixel features have large means, where the
    /// one-pass E[x²] - E[x]² cancels badly.
    public init(x: UnsafePointer<Float>, count: Int, features: Int) {
        precondition(count >= 1 && features >= 1)
        let mean = Self.columnSums(x, count: count, features: features, center: nil).map { $0 / Double(count) }
        let variance = Self.columnSums(x, count: count, features: features, center: mean).map { $0 / Double(count) }
        var std = [Float](repeating: 1, count: features)
        for j in 0..<features {
            let s = variance[j].squareRoot()
            if s > 1e-6 * max(1, abs(mean[j])) { std[j] = Float(s) }
        }
        self.mean = mean.map(Float.init)
        self.std = std
    }

    public var features: Int { mean.count }

    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let f = features
        let shift = mean, scale = std.map { 1 / $0 }
        let xs = SharedPointer(x)
        Parallel.forChunks(count) { _, range in
            shift.withUnsafeBufferPointer { m in
                scale.withUnsafeBufferPointer { s in
                    for r in range {
                        let row = xs.base + r * f
                        for j in 0..<f { row[j] = (row[j] - m[j]) * s[j] }
                    }
                }
            }
        }
    }

    /// Σ_rows x (center nil) or Σ_rows (x - center)² per column.
    static func columnSums(_ x: UnsafePointer<Float>, count: Int, features f: Int, center: [Double]?) -> [Double] {
        let chunks = Parallel.chunkCount(count)
        var partial = [Double](repeating: 0, count: chunks * f)
        let xs = SharedReadPointer(x)
        partial.withUnsafeMutableBufferPointer { pb in
            let ps = SharedPointer(pb.baseAddress!)
            Parallel.forChunks(count) { chunk, range in
                let acc = ps.base + chunk * f
                for r in range {
                    let row = xs.base + r * f
                    if let center {
                        for j in 0..<f {
                            let d = Double(row[j]) - center[j]
                            acc[j] += d * d
                        }
                    } else {
                        for j in 0..<f { acc[j] += Double(row[j]) }
                    }
                }
            }
        }
        var sums = [Double](repeating: 0, count: f)
        for k in 0..<chunks { for j in 0..<f { sums[j] += partial[k * f + j] } }
        return sums
    }
}
