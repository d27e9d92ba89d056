import Numerics
import Pipeline
import Training

/// The config values Pretrain reads: the mask, model and optimisation
/// sections, the seed, the data keys of batching and augmentation.
public struct PretrainSettings: Sendable {
    static let keys = ["data.batch_size", "data.crop_scale", "data.use_horizontal_flip",
                       "meta.model_name", "meta.embed_dim", "meta.depth", "meta.num_heads", "meta.mlp_ratio", "meta.patch_init_std",
                       "meta.pred_depth", "meta.pred_emb_dim", "meta.seed", "meta.target_layers", "meta.center_targets",
                       "meta.use_bfloat16"]
    static let sections = ["mask", "optimization"]
    public let view: ConfigView
    public let encoder: ViTConfig
    public let patchInitStd: Double
    public let targetLayers: Int
    public let centerTargets: Bool
    public let predictorDim: Int
    public let predictorDepth: Int
    public let batchSize: Int
    public let cropScale: (Double, Double)
    public let horizontalFlip: Bool
    public let seed: UInt64
    public let loss: PredictionLoss
    public let epochs: Int
    // Outside the key: how often to save, where to resume from, progress,
    // the learning curve.
    public let checkpointEvery: Int
    public let resume: Bool
    public let readCheckpoint: String?
    public let progressInterval: Double
    /// Nil when logging.eval_every is 0.
    let curve: LearningCurve.Settings?

    public init(_ config: PipelineConfig) throws {
        let v = config.view(keys: Self.keys, sections: Self.sections)
        view = v
        let name = v.string("meta.model_name")
        guard var enc = ViTConfig.preset(name) else { throw PipelineError("\(config.source): meta.model_name: unknown preset \(name)") }
        if v.int("meta.embed_dim") > 0 { enc.embedDim = v.int("meta.embed_dim") }
        if v.int("meta.depth") > 0 { enc.depth = v.int("meta.depth") }
        if v.int("meta.num_heads") > 0 { enc.numHeads = v.int("meta.num_heads") }
        if v.double("meta.mlp_ratio") > 0 { enc.mlpRatio = v.double("meta.mlp_ratio") }
        encoder = enc
        patchInitStd = v.double("meta.patch_init_std")
        targetLayers = v.int("meta.target_layers")
        centerTargets = v.bool("meta.center_targets")
        if targetLayers > enc.depth {
            throw PipelineError("\(config.source): meta.target_layers: \(targetLayers) is more than the encoder's \(enc.depth) blocks")
        }
        predictorDim = v.int("meta.pred_emb_dim")
        predictorDepth = v.int("meta.pred_depth")
        for (key, width) in [("meta.embed_dim", enc.embedDim), ("meta.pred_emb_dim", predictorDim)] {
            if width % enc.numHeads != 0 || (width / enc.numHeads) == 0 {
                throw PipelineError("\(config.source): \(key): \(width) is not divisible by the \(enc.numHeads) attention heads")
            }
            if width % 4 != 0 {
                throw PipelineError("\(config.source): \(key): \(width) must be a multiple of 4 (2-D sin-cos positions)")
            }
        }
        batchSize = v.int("data.batch_size")
        let cs = v.doubles("data.crop_scale")
        cropScale = (cs[0], cs[1])
        horizontalFlip = v.bool("data.use_horizontal_flip")
        seed = UInt64(v.int("meta.seed"))
        loss = PredictionLoss(rawValue: v.string("optimization.loss"))!
        epochs = v.int("optimization.epochs")
        if v.int("mask.num_enc_masks") != 1 {
            throw PipelineError("\(config.source): mask.num_enc_masks: only 1 context block per image is supported")
        }
        let values = config.values
        checkpointEvery = values["logging.checkpoint_every"]!.intValue!
        resume = values["meta.load_checkpoint"]!.boolValue!
        readCheckpoint = values["meta.read_checkpoint"]!.stringValue
        progressInterval = values["logging.progress_interval"]!.doubleValue!
        // Outside the key as well: evaluating changes nothing in training.
        // The artifact records the settings its curve was made with.
        let period = TrainingPeriod(values["logging.eval_every"]!)!
        curve = period == .never ? nil : LearningCurve.Settings(
            period: period, queries: values["logging.eval_queries"]!.intValue!, bank: values["logging.eval_bank"]!.intValue!,
            knnK: values["probe.knn_k"]!.intValue!, knnTemperature: values["probe.knn_temperature"]!.doubleValue!,
            holdoutFraction: values["probe.holdout_fraction"]!.doubleValue!, seed: UInt64(values["probe.seed"]!.intValue!))
    }

    /// The trainer at its initial weights.
    public func trainer(shape: JEPAShape) -> JEPATrainer {
        JEPATrainer(shape: shape, loss: loss, seed: seed, patchStd: patchInitStd, targetLayers: targetLayers,
                    centerTargets: centerTargets)
    }

    public func maskSampler(grid: Int) -> MaskSampler {
        let v = view
        func pair(_ k: String) -> (Double, Double) { let a = v.doubles(k); return (a[0], a[1]) }
        return MaskSampler(grid: grid, predScale: pair("mask.pred_mask_scale"), aspectRatio: pair("mask.aspect_ratio"),
                           encScale: pair("mask.enc_mask_scale"), numTargets: v.int("mask.num_pred_masks"),
                           minKeep: v.int("mask.min_keep"), allowOverlap: v.bool("mask.allow_overlap"), seed: seed)
    }

    public func schedules(itersPerEpoch ipe: Int) -> Schedules {
        let v = view
        let ema = v.doubles("optimization.ema")
        return Schedules(itersPerEpoch: ipe, epochs: epochs, ipeScale: v.double("optimization.ipe_scale"),
                         warmupEpochs: v.double("optimization.warmup"), startLR: v.double("optimization.start_lr"),
                         peakLR: v.double("optimization.lr"), finalLR: v.double("optimization.final_lr"),
                         weightDecay: v.double("optimization.weight_decay"),
                         finalWeightDecay: v.double("optimization.final_weight_decay"), ema: (ema[0], ema[1]))
    }
}
