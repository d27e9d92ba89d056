/// `probe`: the frozen-feature probes. Three groups, because the baselines
/// depend on the protocol alone and the extraction batch size changes no
/// result.
public struct ProbeSettings: SettingsGroup {
    public var features = FeatureSettings()
    public var evaluation = EvaluationSettings()
    public var baselines = BaselineSettings()
    public var pixels = PixelSettings()
    public var batchSize = 256
    public init() {}

    public static let fields = FeatureSettings.fields.map { $0.lifted(\Self.features) }
        + EvaluationSettings.fields.map { $0.lifted(\Self.evaluation) }
        + BaselineSettings.fields.map { $0.lifted(\Self.baselines) }
        + PixelSettings.fields.map { $0.lifted(\Self.pixels) }
        + [Field("probe.batch_size", \.batchSize, "images per feature-extraction batch (changes no result)",
                 rule: Check.intRange(1, 65536))]
}

/// Which encoder features the probes see.
public struct FeatureSettings: SettingsGroup {
    public enum Kind: String, SettingChoice {
        /// The final normalised block output, average-pooled over patches.
        case last
        /// The last four blocks' outputs, each normalised with the encoder's
        /// final LayerNorm (as DINO's linear evaluation does), average-pooled
        /// and concatenated.
        case last4
    }

    public var kind = Kind.last
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("probe.features", \.kind,
              "encoder features, average-pooled over patches: last (final normalised block) or last4 (last four blocks, each normalised, concatenated)"),
    ]
}

/// How the probes are fitted and scored: what every probe result depends on.
public struct EvaluationSettings: SettingsGroup {
    public enum EvalSplit: String, SettingChoice {
        /// The prepared val split (Fashion-MNIST's test set).
        case val
        /// A stratified part of train, so settings can be chosen without
        /// touching val.
        case holdout
    }

    public var evalSplit = EvalSplit.val
    public var labelFractions = [0.01, 0.1, 1.0]
    public var l2Grid = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    public var holdoutFraction = 0.1
    public var maxIterations = 1000
    public var tolerance = 1e-4
    public var knnK = 20
    public var knnTemperature = 0.07
    public var seed = 0
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("probe.eval_split", \.evalSplit,
              "where accuracy is measured: val (the prepared val/test split) or holdout (a stratified part of train, for choosing settings without touching val)"),
        Field("probe.label_fractions", \.labelFractions,
              "fractions of the train labels the probes see (sampled per class, at least one image per class)",
              rule: Check.eachIn(0, 1, openLow: true)),
        Field("probe.l2_grid", \.l2Grid,
              "L2 strengths tried for the linear probe (mean cross-entropy + l2/2·|W|²), chosen on a held-out part of train",
              rule: Check.eachIn(0, 1e6)),
        Field("probe.holdout_fraction", \.holdoutFraction,
              "part of train held out, per class, to choose the L2 strength (and to evaluate on with eval_split: holdout)",
              rule: Check.doubleRange(0, 0.5, openLow: true)),
        Field("probe.max_iterations", \.maxIterations, "L-BFGS iteration limit of each linear-probe fit",
              rule: Check.intRange(1)),
        Field("probe.tolerance", \.tolerance,
              "a linear-probe fit has converged when max |gradient| <= tolerance·max(1, loss) (scikit-learn's default)",
              rule: Check.doubleRange(0, 1, openLow: true)),
        Field("probe.knn_k", \.knnK, "neighbours of the k-NN probe", rule: Check.intRange(1)),
        Field("probe.knn_temperature", \.knnTemperature, "temperature of the k-NN vote weights exp(cos/T)",
              rule: Check.doubleRange(0, 100, openLow: true)),
        Field("probe.seed", \.seed, "seed of label sampling and the held-out splits", rule: Check.intRange(0)),
    ]
}

/// Which baselines the probe artifact reports next to the I-JEPA encoder.
public struct BaselineSettings: SettingsGroup {
    public enum Baseline: String, SettingChoice {
        /// The normalised pixels themselves.
        case pixels
        /// The same encoder at the weights pretraining started from.
        case initialWeights = "initial_weights"
    }

    public var names = ["pixels", "initial_weights"]
    public init() {}

    /// The chosen baselines (the rule has checked every name).
    public var chosen: Set<Baseline> { Set(names.compactMap(Baseline.init(rawValue:))) }

    public static let fields: [Field<Self>] = [
        Field("probe.baselines", \.names,
              "baselines probed next to the I-JEPA encoder: any of pixels, initial_weights (an empty list: none; the report's verdict then has nothing to compare with)",
              keyedAtDefault: false, rule: Check.eachOf(Baseline.allCases.map(\.rawValue))),
    ]
}

/// How large the raw-pixel baseline may grow.
public struct PixelSettings: SettingsGroup {
    public var limitMB = 4096.0
    public var dims = 4096
    public init() {}

    /// probe.pixel_limit_mb in bytes.
    public var limitBytes: Int { Int(limitMB * 1_048_576) }

    public static let fields: [Field<Self>] = [
        Field("probe.pixel_limit_mb", \.limitMB,
              "MiB the raw-pixel baseline's float32 pixels may take (probe's train and evaluation images); above it the baseline runs on a class-stratified sample of both, sized to fit, and the report says so",
              keyedAtDefault: false, rule: Check.doubleRange(0, 1_048_576, openLow: true)),
        Field("probe.pixel_dims", \.dims,
              "values per image the raw-pixel baseline may have; an image with more is average-pooled patch by patch (each p x p patch to p/f x p/f, the smallest f that fits) and the report says so",
              keyedAtDefault: false, rule: Check.intRange(1, 1 << 24)),
    ]
}
