import Evaluation
import Pipeline

/// What the probe of the pretrained encoder reads (its artifact key): the
/// feature choice and the protocol. The extraction batch size and progress
/// change no result; they are `ProbeOptions`.
public struct ProbeSettings: StageSettings {
    public let features: FeatureChoice
    public let evaluation: ProbeProtocol
    public let baselines: BaselineChoice
    public let pixels: PixelBaseline

    public init(_ s: PipelineSettings) {
        features = s.probe.features
        evaluation = s.probe.evaluation
        baselines = s.probe.baselines
        pixels = s.probe.pixels
    }

    public typealias EvalSplit = ProbeProtocol.EvalSplit
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
public struct InitialWeights: StageSettings {
    public let model: EncoderSettings
    public let seedKey: Keyed<Int>

    public init(_ s: PipelineSettings) {
        model = s.meta.encoder
        seedKey = s.meta.keyed(\.seed)
    }
}

/// The raw-pixel baseline's key: the protocol and the size limit.
struct PixelProbeSettings: StageSettings {
    let evaluation: ProbeProtocol
    let pixels: PixelBaseline
}

/// The initial-weights baseline's key: the feature choice, the protocol and
/// the weights (not which baselines run, nor the pixel limit).
struct InitialWeightsProbeSettings: StageSettings {
    let features: FeatureChoice
    let evaluation: ProbeProtocol
    let weights: InitialWeights
}

/// A feature artifact's key: the feature choice, and for the initial
/// weights what they depend on (the pretrained weights enter as upstream).
struct InitialFeatureSettings: StageSettings {
    let features: FeatureChoice
    let weights: InitialWeights
}
