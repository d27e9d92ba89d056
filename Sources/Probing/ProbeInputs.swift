import Evaluation
import Pipeline

/// What the probe of the pretrained encoder reads (its artifact key): the
/// feature choice and the protocol. The extraction batch size and progress
/// change no result; they are `ProbeOptions`.
public struct ProbeInputs: StageInputs {
    public let features: FeatureSettings
    public let evaluation: EvaluationSettings
    public let baselines: BaselineSettings
    public let pixels: PixelSettings

    public init(_ s: PipelineSettings) {
        features = s.probe.features
        evaluation = s.probe.evaluation
        baselines = s.probe.baselines
        pixels = s.probe.pixels
    }

    public typealias EvalSplit = EvaluationSettings.EvalSplit
    public var featureKind: FeatureKind { features.kind }
    public var evalSplit: EvalSplit { evaluation.evalSplit }
    public var labelFractions: [Double] { evaluation.labelFractions.sorted() }
    /// Strong to weak, so each fit warm-starts from a smoother solution.
    public var l2Grid: [Double] { evaluation.l2Grid.sorted(by: >) }
    public var holdoutFraction: Double { evaluation.holdoutFraction }
    public var maxIterations: Int { evaluation.maxIterations }
    public var tolerance: Double { evaluation.tolerance }
    public var knnK: Int { evaluation.knnK }
    public var knnTemperature: Double { evaluation.knnTemperature }
    public var seed: UInt64 { UInt64(evaluation.seed) }
}

/// What the probes read that changes no result.
public struct ProbeOptions: Sendable {
    public let batchSize: Int
    public let progressInterval: Double

    public init(_ s: PipelineSettings) {
        batchSize = s.probe.batchSize
        progressInterval = s.logging.progressInterval
    }
}

/// What an encoder's initial weights depend on: its shape and the seed.
public struct InitialWeights: StageInputs {
    public let model: EncoderSettings
    public let seedKey: Keyed<Int>
    /// bf16 extraction changes the features (keyed only when true, so
    /// float32 artifacts keep their keys).
    public let useBfloat16: Keyed<Bool>

    public init(_ s: PipelineSettings) {
        model = s.meta.encoder
        seedKey = s.meta.keyed(\.seed)
        useBfloat16 = s.meta.keyedWhenSet(\.useBfloat16)
    }
}

/// The raw-pixel baseline's key: the protocol and the size limit.
struct PixelProbeInputs: StageInputs {
    let evaluation: EvaluationSettings
    let pixels: PixelSettings
}

/// The initial-weights baseline's key: the feature choice, the protocol and
/// the weights (not which baselines run, nor the pixel limit).
struct InitialWeightsProbeInputs: StageInputs {
    let features: FeatureSettings
    let evaluation: EvaluationSettings
    let weights: InitialWeights
}

/// A feature artifact's key: the feature choice, and for the initial
/// weights what they depend on (the pretrained weights enter as upstream).
struct InitialFeatureInputs: StageInputs {
    let features: FeatureSettings
    let weights: InitialWeights
}
