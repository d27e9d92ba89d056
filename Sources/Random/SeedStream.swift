/// Every random stream of the pipeline, each derived from a stage's base seed
/// (`meta.seed` for Pretrain, `probe.seed` for Probe and the learning curve)
/// in one named place, so two uses never share a stream by accident.
///
/// These derivations are part of every artifact's results: changing one
/// changes the weights, masks, data order or probe subsets of every run
/// (and should come with a stage format version bump).
public enum SeedStream {
    // Pretrain (base: meta.seed).

    /// The context (and target) encoder's initial weights.
    public static func encoderInit(_ seed: UInt64) -> UInt64 { seed }

    /// The predictor's initial weights.
    public static func predictorInit(_ seed: UInt64) -> UInt64 { seed &+ 1 }

    /// The sample order of training epoch `epoch`.
    public static func dataOrder(_ seed: UInt64, epoch: Int) -> UInt64 {
        seed ^ 0x5151_0000 ^ UInt64(epoch) &* 0x9E37_79B9
    }

    /// The chunk order of streamed training epoch `epoch` (data.buffer_mb
    /// smaller than the train split). Mixed through the generator once, so
    /// it shares nothing with `dataOrder`.
    public static func streamChunks(_ seed: UInt64, epoch: Int) -> UInt64 {
        var mix = SeededGenerator(seed: seed ^ 0x5354_524D)
        return mix.next() ^ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15
    }

    /// The shuffle of window `window` of rank `rank`'s streamed epoch.
    public static func streamWindow(_ seed: UInt64, epoch: Int, rank: Int, window: Int) -> UInt64 {
        streamChunks(seed, epoch: epoch) ^ (UInt64(rank) &+ 1) &* 0xD1B5_4A32_D192_ED03
            ^ (UInt64(window) &+ 1) &* 0xA24B_AED4_963E_E407
    }

    /// The crop and flip of sample `sample` at training step `step`: a pure
    /// function of both, so a resumed or data-parallel run draws the same.
    public static func augmentation(_ seed: UInt64, step: Int, sample: Int) -> UInt64 {
        seed ^ UInt64(step) &* 0xA24B_AED4_963E_E407 ^ UInt64(sample) &* 0x9FB2_1C65_1E98_DF25
    }

    /// The context and target blocks of training step `step`. The base seed
    /// goes through the generator once first, so nearby seeds give unrelated
    /// streams.
    public static func masks(_ seed: UInt64, step: Int) -> UInt64 {
        var mix = SeededGenerator(seed: seed)
        return mix.next() ^ (UInt64(step) &* 0xD1B5_4A32_D192_ED03)
    }

    // Probe and the learning curve (base: probe.seed).

    /// The train holdout that `probe.eval_split: holdout` scores and the
    /// learning curve draws its queries from.
    public static func trainHoldout(_ seed: UInt64) -> UInt64 { seed ^ 0x7e57 }

    /// The linear probe's split of its training rows into fit and the part
    /// that chooses the L2 strength.
    public static func l2Selection(_ seed: UInt64) -> UInt64 { seed &+ 1 }

    /// The raw-pixel baseline's sample of the probe's images (probe.pixel_limit_mb).
    public static func pixelSample(_ seed: UInt64) -> UInt64 { seed ^ 0x9137_E15A }

    /// The learning curve's query images (from the train holdout).
    public static func curveQueries(_ seed: UInt64) -> UInt64 { seed ^ 0xC0DE }

    /// The learning curve's labelled bank (from the rest of train).
    public static func curveBank(_ seed: UInt64) -> UInt64 { seed ^ 0xBA4C }

    /// Per-class label sampling: which of class `c`'s rows a `LabelSampling`
    /// use picks, one sub-stream per use so the uses are independent.
    public enum LabelUse: UInt64 {
        case labelFraction = 0x5A4D_504C, holdout = 0x484F_4C44, subset = 0x5355_4253
    }

    public static func labels(_ seed: UInt64, use: LabelUse, class c: Int) -> UInt64 {
        seed ^ use.rawValue &* 0xD1B5_4A32_D192_ED03 ^ (UInt64(c) &+ 1) &* 0x9E37_79B9_7F4A_7C15
    }
}
