import Numerics
import Pipeline
import Training

/// What Pretrain reads, and so what its artifact key encodes: the batching
/// and augmentation keys of `data`, the whole `mask` and `optimization`
/// sections, the model's shape and targets, the seed. Where a run starts
/// and how it reports are `PretrainOptions`.
public struct PretrainInputs: StageInputs {
    public let loading: LoadingSettings
    public let mask: MaskSettings
    public let model: EncoderSettings
    public let targets: TargetSettings
    public let predictor: PredictorSettings
    public let useBfloat16: Keyed<Bool>
    public let seedKey: Keyed<Int>
    public let optimization: OptimizationSettings

    public init(_ s: PipelineSettings) {
        loading = s.data.loading
        mask = s.mask
        model = s.meta.encoder
        targets = s.meta.targets
        predictor = s.meta.predictor
        useBfloat16 = s.meta.keyed(\.useBfloat16)
        seedKey = s.meta.keyed(\.seed)
        optimization = s.optimization
    }

    /// The encoder's shape: the preset with meta's overrides.
    public var encoder: ViTConfig {
        let d = model.dimensions
        return ViTConfig(embedDim: d.embedDim, depth: d.depth, numHeads: d.numHeads, mlpRatio: d.mlpRatio)
    }
    /// The networks' GEMMs: `meta.use_bfloat16`.
    public var precision: MatmulPrecision { useBfloat16.value ? .bfloat16 : .float32 }
    public var batchSize: Int { loading.batchSize }
    public var seed: UInt64 { UInt64(seedKey.value) }
    public var loss: PredictionLoss {
        switch optimization.loss {
        case .l2: return .l2
        case .smoothL1: return .smoothL1
        }
    }

    /// The transforms the data keys turn on.
    public var augmentation: Augmentation {
        Augmentation(cropScale: loading.cropScale, horizontalFlip: loading.useHorizontalFlip,
                     colorJitterStrength: loading.useColorDistortion ? loading.colorJitterStrength : nil,
                     gaussianBlur: loading.useGaussianBlur)
    }

    /// The model's shapes on a prepared data set's patch grid.
    public func shape(channels: Int, patchSize: Int, gridSize: Int) -> JEPAShape {
        JEPAShape(channels: channels, patchSize: patchSize, gridSize: gridSize, encoder: encoder,
                  predictorDim: predictor.predEmbDim, predictorDepth: predictor.predDepth)
    }

    /// The trainer at its initial weights; `precision` other than the
    /// config's only for a benchmark that compares them.
    public func trainer(shape: JEPAShape, precision: MatmulPrecision? = nil) -> JEPATrainer {
        JEPATrainer(shape: shape, loss: loss, seed: seed, patchStd: model.patchInitStd,
                    targetLayers: targets.targetLayers, centerTargets: targets.centerTargets,
                    precision: precision ?? self.precision)
    }

    /// The masks of training: loading a config with training steps has
    /// checked that they can be sampled.
    public func maskSampler(grid: Int) -> MaskSampler {
        MaskSampler(grid: grid, predScale: mask.predMaskScale, aspectRatio: mask.aspectRatio, encScale: mask.encMaskScale,
                    numTargets: mask.numPredMasks, minKeep: mask.minKeep, allowOverlap: mask.allowOverlap, seed: seed)
    }

    /// The masks, checked here: for what samples them outside training (the
    /// mask figure, the debug state, the benchmark), which a config of 0
    /// epochs, whose masks were not checked, may ask for.
    public func checkedMaskSampler(grid: Int) throws -> MaskSampler {
        do { try mask.checkGeometry(grid: grid) } catch { throw PipelineError("\(error)") }
        return maskSampler(grid: grid)
    }

    /// Learning rate, weight decay and EMA momentum per step.
    public func schedules(itersPerEpoch ipe: Int) -> Schedules {
        let o = optimization
        return Schedules(itersPerEpoch: ipe, epochs: o.epochs, ipeScale: o.ipeScale, warmupEpochs: o.warmup,
                         startLR: o.startLR, peakLR: o.lr, finalLR: o.finalLR, weightDecay: o.weightDecay,
                         finalWeightDecay: o.finalWeightDecay, ema: o.ema)
    }
}

/// What Pretrain reads that changes no result: how often to save, whether
/// to resume, where to start from (that file enters the key through its
/// digest), progress, the learning curve.
public struct PretrainOptions: Sendable {
    public let checkpointEvery: Int
    public let resume: Bool
    public let readCheckpoint: String?
    /// A safetensors file of weights to start from.
    public let initFrom: String?
    public let progressInterval: Double
    /// Nil when logging.eval_every is 0. The artifact records the settings
    /// its curve was made with.
    let curve: LearningCurve.Options?

    public init(_ s: PipelineSettings) {
        checkpointEvery = s.logging.checkpointEvery
        resume = s.meta.checkpoint.loadCheckpoint
        readCheckpoint = s.readCheckpointPath
        initFrom = s.meta.checkpoint.initFrom
        progressInterval = s.logging.progressInterval
        let p = s.probe.evaluation
        curve = s.logging.evalEvery == .never ? nil : LearningCurve.Options(
            period: s.logging.evalEvery, queries: s.logging.evalQueries, bank: s.logging.evalBank,
            knnK: p.knnK, knnTemperature: p.knnTemperature, holdoutFraction: p.holdoutFraction, seed: UInt64(p.seed))
    }
}
