import Evaluation
import Pipeline

/// The config values Probe reads: its own section. Extraction batch size
/// and progress interval change no result, so they stay out of the key.
public struct ProbeSettings: Sendable {
    /// Every probe key but the batch size.
    static let keys = PipelineSchema.keys.map(\.path).filter { $0.hasPrefix("probe.") && $0 != "probe.batch_size" }

    public enum EvalSplit: String, Sendable {
        /// The prepared val split (Fashion-MNIST's test set).
        case val
        /// A stratified part of train, so settings can be chosen without
        /// touching val.
        case holdout
    }

    public let view: ConfigView
    public let features: FeatureKind
    public let evalSplit: EvalSplit
    public let labelFractions: [Double]
    public let l2Grid: [Double]
    public let holdoutFraction: Double
    public let maxIterations: Int
    public let tolerance: Double
    public let knnK: Int
    public let knnTemperature: Double
    public let seed: UInt64
    public let batchSize: Int
    public let progressInterval: Double

    public init(_ config: PipelineConfig) throws {
        let v = config.view(keys: Self.keys)
        view = v
        features = FeatureKind(rawValue: v.string("probe.features"))!
        evalSplit = EvalSplit(rawValue: v.string("probe.eval_split"))!
        labelFractions = v.doubles("probe.label_fractions").sorted()
        // Strong to weak, so each fit warm-starts from a smoother solution.
        l2Grid = v.doubles("probe.l2_grid").sorted(by: >)
        holdoutFraction = v.double("probe.holdout_fraction")
        maxIterations = v.int("probe.max_iterations")
        tolerance = v.double("probe.tolerance")
        knnK = v.int("probe.knn_k")
        knnTemperature = v.double("probe.knn_temperature")
        seed = UInt64(v.int("probe.seed"))
        batchSize = config.values["probe.batch_size"]!.intValue!
        progressInterval = config.values["logging.progress_interval"]!.doubleValue!
    }
}
