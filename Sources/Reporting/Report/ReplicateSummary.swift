import Probing

/// A sweep's runs grouped by variant: every probe's estimate over the
/// replicate seeds, and each variant's difference to the reference variant,
/// paired by seed.
struct ReplicateSummary {
    /// One probe number: a subject's classifier at a label fraction.
    struct Metric: Hashable {
        let subject: ProbeStage.Subject
        let classifier: String
        let fraction: Double
    }

    /// Variant indexes in order.
    let variants: [Int]
    let runs: [Int: [RunRecord]]
    /// The variant the differences are taken against (the sweep's, else 0).
    let reference: Int
    /// Whether the sweep named its reference or had one variant with the
    /// base pipeline's values; false when variant 0 stands in.
    let referenceIsNamed: Bool
    /// The replicate seeds (empty for runs at the pipeline's own seeds).
    let seeds: [Int]

    init(_ all: [RunRecord], reference: Int?, seeds: [Int]) {
        var byVariant: [Int: [RunRecord]] = [:]
        for r in all { byVariant[r.index, default: []].append(r) }
        runs = byVariant
        variants = byVariant.keys.sorted()
        self.reference = reference ?? variants.first ?? 0
        referenceIsNamed = reference != nil
        self.seeds = seeds
    }

    /// Replicates per variant (the smallest, should a run be missing).
    var n: Int { variants.map { runs[$0]?.count ?? 0 }.min() ?? 0 }
    var hasIntervals: Bool { n > 1 }

    func values(_ variant: Int, _ m: Metric) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for r in runs[variant] ?? [] { out[r.seed ?? 0] = r.top1(m.subject, m.classifier, m.fraction) }
        return out
    }

    func estimate(_ variant: Int, _ m: Metric) -> Estimate {
        let bySeed = values(variant, m)
        return Estimate(bySeed.keys.sorted().map { bySeed[$0]! })
    }

    /// `variant` minus the reference, paired by seed.
    func difference(_ variant: Int, _ m: Metric) -> Estimate {
        Estimate.pairedDifference(values(variant, m), values(reference, m))
    }

    /// I-JEPA minus a baseline within each seed of `variant` (the baseline
    /// of a seed is that seed's initial weights or its pixel sample).
    func gain(_ variant: Int, over baseline: ProbeStage.Subject, classifier: String, fraction: Double) -> Estimate {
        Estimate.pairedDifference(values(variant, Metric(subject: .ijepa, classifier: classifier, fraction: fraction)),
                                  values(variant, Metric(subject: baseline, classifier: classifier, fraction: fraction)))
    }

    /// The variant with the best mean I-JEPA linear probe at `fraction`.
    func best(fraction: Double) -> Int {
        variants.max { a, b in
            let x = estimate(a, Metric(subject: .ijepa, classifier: "linear", fraction: fraction)).mean
            let y = estimate(b, Metric(subject: .ijepa, classifier: "linear", fraction: fraction)).mean
            return (x.isNaN ? -1 : x) < (y.isNaN ? -1 : y)
        } ?? 0
    }
}
