import Foundation

/// What n replicates (one per seed) say about a number: its mean, the
/// sample standard deviation, and a two-sided 95% Student-t interval for
/// the mean, `mean ± t(0.975, n-1) * sd / sqrt(n)`. With fewer than two
/// replicates there is no spread to measure: `sd` and the interval are NaN.
public struct Estimate: Sendable, Equatable {
    public let n: Int
    public let mean: Double
    /// Sample standard deviation (divides by n - 1).
    public let sd: Double
    /// Half the width of the 95% interval.
    public let halfWidth: Double

    public static let confidence = 0.95

    /// Non-finite values (a probe that did not run) are left out.
    public init(_ values: [Double]) {
        let v = values.filter(\.isFinite)
        n = v.count
        mean = v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
        guard v.count > 1 else {
            sd = .nan
            halfWidth = .nan
            return
        }
        let m = mean
        sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
        halfWidth = StudentT.quantile(1 - (1 - Self.confidence) / 2, df: Double(v.count - 1)) * sd / Double(v.count).squareRoot()
    }

    /// The difference `a - b` over the seeds both have, paired by seed: the
    /// seed's shared randomness (initial weights, masks, order, holdout)
    /// cancels, which is what makes a small effect visible with few seeds.
    public static func pairedDifference(_ a: [Int: Double], _ b: [Int: Double]) -> Estimate {
        Estimate(a.keys.sorted().compactMap { s in b[s].map { a[s]! - $0 } })
    }

    public var low: Double { mean - halfWidth }
    public var high: Double { mean + halfWidth }
    public var hasInterval: Bool { halfWidth.isFinite }
    /// The interval lies wholly on one side of zero (for a difference: the
    /// effect's sign is resolved at 95%).
    public var excludesZero: Bool { hasInterval && (low > 0 || high < 0) }
}
