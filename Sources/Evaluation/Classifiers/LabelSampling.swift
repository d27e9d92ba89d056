import Numerics
import Random

/// Seeded, per-class subsets of a labelled set: the low-shot probes (1%,
/// 10% of the labels) and the holdout that picks the regularisation.
///
/// Each class draws from its own generator (seed and class mixed), so a
/// class's pick does not depend on the other classes' sizes, and a partial
/// Fisher–Yates shuffle makes the pick at a smaller fraction a prefix of
/// the pick at a larger one (same seed): the 1% set lies inside the 10% set.
public enum LabelSampling {
    /// Indices (sorted ascending) of a per-class stratified sample: from each
    /// class keep round(fraction · classCount) but at least 1 sample (when
    /// the class has any), chosen with a seeded shuffle; fraction ≥ 1
    /// returns all indices. Deterministic in (labels, fraction, seed).
    public static func perClass(labels: [Int32], classes: Int, fraction: Double, seed: UInt64) -> [Int] {
        precondition(fraction > 0, "fraction must be positive")
        let members = byClass(labels, classes: classes)
        if fraction >= 1 { return Array(labels.indices) }
        var picked: [Int] = []
        for c in 0..<classes where !members[c].isEmpty {
            var m = members[c]
            let keep = min(m.count, max(1, Int((fraction * Double(m.count)).rounded())))
            shufflePrefix(&m, keep, seed: seed, use: .labelFraction, class: c)
            picked += m[0..<keep]
        }
        return picked.sorted()
    }

    /// A stratified split for choosing the regularisation: returns (fit,
    /// holdout) index lists, each sorted; holdout = round(holdoutFraction ·
    /// classCount) of each class, but at least 1 and at most classCount - 1
    /// for classes with ≥ 2 samples (a class with one sample stays in fit).
    public static func stratifiedSplit(labels: [Int32], classes: Int, holdoutFraction: Double,
                                       seed: UInt64) -> (fit: [Int], holdout: [Int]) {
        precondition(holdoutFraction > 0 && holdoutFraction < 1, "holdout fraction must be in (0, 1)")
        let members = byClass(labels, classes: classes)
        var fit: [Int] = [], holdout: [Int] = []
        for c in 0..<classes where !members[c].isEmpty {
            var m = members[c]
            let hold = m.count < 2 ? 0 : min(m.count - 1, max(1, Int((holdoutFraction * Double(m.count)).rounded())))
            shufflePrefix(&m, hold, seed: seed, use: .holdout, class: c)
            holdout += m[0..<hold]
            fit += m[hold...]
        }
        return (fit.sorted(), holdout.sorted())
    }

    /// The train holdout that `probe.eval_split: holdout` scores and the
    /// learning curve samples its queries from: (fit, holdout) of train.
    public static func trainHoldout(labels: [Int32], classes: Int, fraction: Double,
                                    seed: UInt64) -> (fit: [Int], holdout: [Int]) {
        stratifiedSplit(labels: labels, classes: classes, holdoutFraction: fraction, seed: SeedStream.trainHoldout(seed))
    }

    /// Exactly `count` of `rows` (all of them when count >= rows.count),
    /// each class in proportion to its share of `rows` (largest remainders
    /// round up, lower classes first on ties), picked by a seeded shuffle;
    /// returned class by class.
    public static func stratifiedSubset(_ rows: [Int], labels: [Int32], classes: Int, count: Int,
                                        seed: UInt64) -> [Int] {
        guard count < rows.count else { return rows }
        let members = byClass(rows.map { labels[$0] }, classes: classes)
        let exact = members.map { Double(count) * Double($0.count) / Double(rows.count) }
        var quota = exact.map { Int($0) }
        let order = (0..<classes).sorted { (exact[$0] - Double(quota[$0]), $1) > (exact[$1] - Double(quota[$1]), $0) }
        for c in order.prefix(count - quota.reduce(0, +)) { quota[c] += 1 }
        var picked: [Int] = []
        for c in 0..<classes where quota[c] > 0 {
            var m = members[c]
            shufflePrefix(&m, quota[c], seed: seed, use: .subset, class: c)
            picked += m[0..<quota[c]].map { rows[$0] }
        }
        return picked
    }

    /// Indices of each class, ascending.
    static func byClass(_ labels: [Int32], classes: Int) -> [[Int]] {
        var members = [[Int]](repeating: [], count: classes)
        for (i, l) in labels.enumerated() {
            precondition(l >= 0 && Int(l) < classes, "label \(l) out of 0..<\(classes)")
            members[Int(l)].append(i)
        }
        return members
    }

    /// Moves a uniform random `count`-subset, in random order, to the front
    /// (the first `count` steps of Fisher–Yates). Written out rather than
    /// `shuffle(using:)` so the pick does not change with the standard library.
    static func shufflePrefix(_ a: inout [Int], _ count: Int, seed: UInt64, use: SeedStream.LabelUse, class c: Int) {
        var rng = SeededGenerator(seed: SeedStream.labels(seed, use: use, class: c))
        for i in 0..<min(count, a.count) {
            // Multiply-high maps 64 random bits onto 0..<n without a modulo.
            let n = UInt64(a.count - i)
            let j = i + Int(rng.next().multipliedFullWidth(by: n).high)
            a.swapAt(i, j)
        }
    }
}
