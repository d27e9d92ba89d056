/// `meta`: the model, the prediction targets, where a run starts, the seed.
public struct MetaSettings: SettingsGroup {
    public var encoder = EncoderSettings()
    public var targets = TargetSettings()
    public var predictor = PredictorSettings()
    public var checkpoint = CheckpointSettings()
    public var useBfloat16 = false
    /// Seed of initialisation, masks and data order.
    public var seed = 0
    public var copyData = false
    public init() {}

    public static let fields = EncoderSettings.fields.map { $0.lifted(\Self.encoder) }
        + TargetSettings.fields.map { $0.lifted(\Self.targets) }
        + PredictorSettings.fields.map { $0.lifted(\Self.predictor) }
        + CheckpointSettings.fields.map { $0.lifted(\Self.checkpoint) }
        + [
            Field("meta.use_bfloat16", \.useBfloat16,
                  "the networks' linear layers (forward and backward) multiply bfloat16-rounded operands with float32 sums, as PyTorch's CPU autocast does; weights, AdamW, LayerNorm, softmax, the loss and the EMA stay float32. Native on AVX512_BF16 (there about 1.4x float32's step; at 5 seeds the test-split probe moved -0.3 [-2.2, +1.6] linear points, docs/performance.md), emulated (slower than float32, said at the start) elsewhere; Probe's feature extraction follows it. A bf16 result reproduces bit for bit only where the bf16 GEMM gives the same bits (a Zen 4's rows did not on a Zen 5; compare `NumericsBench --bf16-arithmetic` with a run's `gemm_fingerprint`, in its manifest and registry row), a float32 one between Zen 4 and Zen 5 but not from the AVX2 class (docs/stages.md)",
                  official: .differs("autocast there also runs attention's two products in bfloat16; here attention stays float32")),
            Field("meta.seed", \.seed, "seed of initialisation, masks and data order", official: .ours,
                  rule: Check.intRange(0)),
            Field("meta.copy_data", \.copyData, "copy the data set to the node's local disk first (official SLURM jobs; not used here)",
                  official: .ignoredOnCPU),
        ]

    public func crossCheck() throws(SettingError) {
        try checkpoint.crossCheck()
        let vit = encoder.dimensions
        if targets.targetLayers > vit.depth {
            throw SettingError("meta.target_layers", "\(targets.targetLayers) is more than the encoder's \(vit.depth) blocks")
        }
        for (key, width) in [("meta.embed_dim", vit.embedDim), ("meta.pred_emb_dim", predictor.predEmbDim)] {
            if width % vit.numHeads != 0 {
                throw SettingError(key, "\(width) is not divisible by the \(vit.numHeads) attention heads")
            }
            if width % 4 != 0 {
                throw SettingError(key, "\(width) must be a multiple of 4 (2-D sin-cos positions)")
            }
        }
    }
}

/// The official encoder presets.
public enum ModelName: String, SettingChoice {
    case vitTiny = "vit_tiny", vitSmall = "vit_small", vitBase = "vit_base", vitLarge = "vit_large",
         vitHuge = "vit_huge", vitGiant = "vit_giant"

    /// The preset's shape, as the official code defines it.
    public var dimensions: EncoderDimensions {
        switch self {
        case .vitTiny: return (192, 12, 3, 4)
        case .vitSmall: return (384, 12, 6, 4)
        case .vitBase: return (768, 12, 12, 4)
        case .vitLarge: return (1024, 24, 16, 4)
        case .vitHuge: return (1280, 32, 16, 4)
        case .vitGiant: return (1408, 40, 16, 48.0 / 11.0)
        }
    }
}

/// An encoder's shape as the configuration gives it (Pretrain builds the model, a ViTConfig, from it).
public typealias EncoderDimensions = (embedDim: Int, depth: Int, numHeads: Int, mlpRatio: Double)

/// The context and target encoders' shape and initialisation: with the
/// seed, what the initial weights depend on.
public struct EncoderSettings: SettingsGroup {
    public var modelName = ModelName.vitTiny
    public var embedDim = 0
    public var depth = 0
    public var numHeads = 0
    public var mlpRatio = 0.0
    public var patchInitStd = 0.02
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("meta.model_name", \.modelName, "encoder preset"),
        Field("meta.embed_dim", \.embedDim, "encoder width (0: the preset's)", official: .ours,
              rule: Check.intRange(0, 8192)),
        Field("meta.depth", \.depth, "encoder blocks (0: the preset's)", official: .ours, rule: Check.intRange(0, 128)),
        Field("meta.num_heads", \.numHeads, "attention heads (0: the preset's)", official: .ours,
              rule: Check.intRange(0, 256)),
        Field("meta.mlp_ratio", \.mlpRatio, "encoder MLP width / embed_dim (0: the preset's)", official: .ours,
              rule: Check.doubleRange(0, 64)),
        Field("meta.patch_init_std", \.patchInitStd,
              "std of the patch embedding's initial weights (official 0.02, sized for 16x16x3 patches)", official: .ours,
              rule: Check.doubleRange(0, 10, openLow: true)),
    ]

    /// The preset with the non-zero overrides applied.
    public var dimensions: EncoderDimensions {
        var c = modelName.dimensions
        if embedDim > 0 { c.embedDim = embedDim }
        if depth > 0 { c.depth = depth }
        if numHeads > 0 { c.numHeads = numHeads }
        if mlpRatio > 0 { c.mlpRatio = mlpRatio }
        return c
    }
}

/// What the predictor is trained to predict.
public struct TargetSettings: SettingsGroup {
    public var targetLayers = 1
    public var centerTargets = false
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("meta.target_layers", \.targetLayers,
              "prediction targets: the mean of the last N encoder blocks, each layer-normalised (data2vec); 1: the final output alone (official I-JEPA)",
              official: .ours, rule: Check.intRange(1, 128)),
        Field("meta.center_targets", \.centerTargets,
              "subtract from every target feature its mean over the batch at the same position, so what the position alone predicts is not a target (false: official I-JEPA)",
              official: .ours),
    ]
}

/// The predictor's shape (its heads are the encoder's).
public struct PredictorSettings: SettingsGroup {
    public var predDepth = 6
    public var predEmbDim = 384
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("meta.pred_depth", \.predDepth, "predictor blocks", rule: Check.intRange(1, 64)),
        Field("meta.pred_emb_dim", \.predEmbDim, "predictor width", rule: Check.intRange(1, 8192)),
    ]
}

/// Where a run starts. `read_checkpoint` and `init_from` enter the
/// Pretrain key through the file's digest, `load_checkpoint` (resume)
/// changes no result.
public struct CheckpointSettings: SettingsGroup {
    public var loadCheckpoint = false
    public var readCheckpoint: String? = nil
    public var initFrom: String? = nil
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("meta.load_checkpoint", \.loadCheckpoint, "resume from the latest checkpoint of this run"),
        Field("meta.read_checkpoint", \.readCheckpoint,
              "checkpoint.h5 to resume from (its weights, optimizer state and step; part of the artifact key); a relative path is read from logging.folder when that is set",
              official: .differs("there read only with load_checkpoint, as a file in logging.folder; here it resumes on its own, and a relative path is read from logging.folder when set")),
        Field("meta.init_from", \.initFrom,
              "safetensors file whose weights the run starts from (our export, or an official checkpoint converted by tools/interop/ijepa_checkpoint.py; every tensor checked by name and shape; part of the artifact key). With optimization.epochs 0 the Pretrain artifact is those weights, ready to probe",
              official: .ours),
    ]

    public func crossCheck() throws(SettingError) {
        if readCheckpoint != nil && initFrom != nil {
            throw SettingError("meta.init_from", "cannot be combined with meta.read_checkpoint: a run resumes a checkpoint or starts from weights, not both")
        }
    }
}
