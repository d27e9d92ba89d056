import MaskGeometry
import Random

/// One batch's masks, as the encoder and predictor take them: every sample
/// keeps the same number of context and target positions.
public struct MaskBatch: Sendable, Equatable {
    public let batch: Int
    public let contextCount: Int
    public let targetCount: Int
    public let masks: Int
    /// [batch, contextCount] token indices, ascending per sample.
    public let context: [Int32]
    /// [masks, batch, targetCount] token indices (mask-major).
    public let targets: [Int32]

    /// The masks of samples `range` (a data-parallel rank's slice of the
    /// global batch): the counts stay the global batch's minimum, so the
    /// slices' losses average to the whole batch's.
    public func slice(_ range: Range<Int>) -> MaskBatch {
        precondition(range.lowerBound >= 0 && range.upperBound <= batch)
        if range == 0..<batch { return self }
        var tgt = [Int32]()
        tgt.reserveCapacity(masks * range.count * targetCount)
        for m in 0..<masks {
            tgt += targets[((m * batch + range.lowerBound) * targetCount)..<((m * batch + range.upperBound) * targetCount)]
        }
        let ctx = Array(context[(range.lowerBound * contextCount)..<(range.upperBound * contextCount)])
        return MaskBatch(batch: range.count, contextCount: contextCount, targetCount: targetCount, masks: masks,
                         context: ctx, targets: tgt)
    }
}

/// The multi-block masking of I-JEPA on a g×g patch grid.
///
/// Per batch one target-block size (scale in `predScale`, aspect ratio in
/// `aspectRatio`) and one context-block size (scale in `encScale`, aspect 1)
/// are drawn; per sample `numTargets` target blocks and one context block are
/// placed at random, and unless overlap is allowed the context avoids the
/// targets (relaxed one target at a time after 20 failed placements, as the
/// official collator does). Every block keeps more than `minKeep` patches,
/// and each sample's masks are cut to the batch minimum.
///
/// Unlike the official collator, a configuration that cannot always satisfy
/// `minKeep` is rejected up front (`problem()`, checked when a config is
/// loaded), so sampling always ends.
/// Sampling is a pure function of (seed, step).
public struct MaskSampler: Sendable {
    public let grid: Int
    public let predScale: ClosedRange<Double>
    public let aspectRatio: ClosedRange<Double>
    public let encScale: ClosedRange<Double>
    public let numTargets: Int
    public let minKeep: Int
    public let allowOverlap: Bool
    public let seed: UInt64

    static let retriesPerRelaxation = 20

    public init(grid: Int, predScale: ClosedRange<Double>, aspectRatio: ClosedRange<Double>, encScale: ClosedRange<Double>,
                numTargets: Int, minKeep: Int, allowOverlap: Bool, seed: UInt64) {
        self.grid = grid
        self.predScale = predScale
        self.aspectRatio = aspectRatio
        self.encScale = encScale
        self.numTargets = numTargets
        self.minKeep = minKeep
        self.allowOverlap = allowOverlap
        self.seed = seed
    }

    var geometry: BlockGeometry { BlockGeometry(grid: grid) }

    /// What keeps this configuration from always producing valid masks;
    /// nil when it can.
    public func problem() -> BlockGeometry.Problem? {
        geometry.problem(predScale: predScale, aspectRatio: aspectRatio, encScale: encScale, minKeep: minKeep)
    }

    /// The masks of training step `step` for `batch` samples.
    public func sample(step: Int, batch: Int) -> MaskBatch {
        var rng = SeededGenerator(seed: SeedStream.masks(seed, step: step))
        let pSize = geometry.blockSize(rng.uniform(), scale: predScale, aspect: aspectRatio)
        let eSize = geometry.blockSize(rng.uniform(), scale: encScale, aspect: 1...1)
        var targets: [[[Int32]]] = []  // [sample][mask] -> indices
        var contexts: [[Int32]] = []
        for _ in 0..<batch {
            var sampleTargets: [[Int32]] = [], complements: [[Bool]] = []
            for _ in 0..<numTargets {
                let (idx, complement) = placeBlock(pSize, avoiding: [], rng: &rng)
                sampleTargets.append(idx)
                complements.append(complement)
            }
            targets.append(sampleTargets)
            contexts.append(placeBlock(eSize, avoiding: allowOverlap ? [] : complements, rng: &rng).indices)
        }
        let kt = targets.flatMap { $0.map(\.count) }.min() ?? 0
        let kc = contexts.map(\.count).min() ?? 0
        var tgt = [Int32](), ctx = [Int32]()
        tgt.reserveCapacity(numTargets * batch * kt)
        for m in 0..<numTargets { for b in 0..<batch { tgt += targets[b][m].prefix(kt) } }
        for b in 0..<batch { ctx += contexts[b].prefix(kc) }
        return MaskBatch(batch: batch, contextCount: kc, targetCount: kt, masks: numTargets, context: ctx, targets: tgt)
    }

    /// Places an h×w block at a random position (top-left strictly inside,
    /// as torch.randint(0, g - h) draws it), keeps only the cells allowed by
    /// the first `n` of `avoiding`, and retries until more than `minKeep`
    /// remain; after every 20 failures one fewer region is respected. Ends:
    /// with no region left the whole block counts, and `problem()` has checked
    /// that it is large enough.
    private func placeBlock(_ size: (h: Int, w: Int), avoiding regions: [[Bool]],
                            rng: inout SeededGenerator) -> (indices: [Int32], complement: [Bool]) {
        var respected = regions.count, failures = 0
        while true {
            let top = rng.below(grid - size.h), left = rng.below(grid - size.w)
            var idx: [Int32] = []
            for r in top..<(top + size.h) {
                for c in left..<(left + size.w) {
                    let t = r * grid + c
                    if (0..<respected).allSatisfy({ regions[$0][t] }) { idx.append(Int32(t)) }
                }
            }
            if idx.count > minKeep {
                var complement = [Bool](repeating: true, count: grid * grid)
                for r in top..<(top + size.h) { for c in left..<(left + size.w) { complement[r * grid + c] = false } }
                return (idx.sorted(), complement)
            }
            failures += 1
            if failures == Self.retriesPerRelaxation {
                failures = 0
                respected = max(respected - 1, 0)
            }
        }
    }
}
