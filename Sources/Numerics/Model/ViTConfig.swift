/// Shape of a Vision Transformer encoder.
public struct ViTConfig: Sendable, Equatable {
    public var embedDim: Int
    public var depth: Int
    public var numHeads: Int
    public var mlpRatio: Double

    public init(embedDim: Int, depth: Int, numHeads: Int, mlpRatio: Double = 4) {
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.mlpRatio = mlpRatio
    }

    /// The presets of the official I-JEPA code.
    public static func preset(_ name: String) -> ViTConfig? {
        switch name {
        case "vit_tiny": return ViTConfig(embedDim: 192, depth: 12, numHeads: 3)
        case "vit_small": return ViTConfig(embedDim: 384, depth: 12, numHeads: 6)
        case "vit_base": return ViTConfig(embedDim: 768, depth: 12, numHeads: 12)
        case "vit_large": return ViTConfig(embedDim: 1024, depth: 24, numHeads: 16)
        case "vit_huge": return ViTConfig(embedDim: 1280, depth: 32, numHeads: 16)
        case "vit_giant": return ViTConfig(embedDim: 1408, depth: 40, numHeads: 16, mlpRatio: 48.0 / 11.0)
        default: return nil
        }
    }

    /// MLP hidden width, int(embed · ratio) as in PyTorch.
    public var hiddenDim: Int { Int(Double(embedDim) * mlpRatio) }
}

/// The I-JEPA model's shapes: the data's patch grid, the encoder, and the
/// predictor (its heads are the encoder's and its MLP ratio 4, as in the
/// official code).
public struct JEPAShape: Sendable, Equatable {
    public var channels: Int
    public var patchSize: Int
    public var gridSize: Int
    public var encoder: ViTConfig
    public var predictorDim: Int
    public var predictorDepth: Int

    public init(channels: Int, patchSize: Int, gridSize: Int, encoder: ViTConfig, predictorDim: Int, predictorDepth: Int) {
        self.channels = channels
        self.patchSize = patchSize
        self.gridSize = gridSize
        self.encoder = encoder
        self.predictorDim = predictorDim
        self.predictorDepth = predictorDepth
    }

    public var numPatches: Int { gridSize * gridSize }
    /// Floats per flattened patch (channel-major, then row, then column).
    public var patchDim: Int { channels * patchSize * patchSize }
    /// The official predictor uses the encoder's heads and a fixed MLP ratio of 4.
    public var predictor: ViTConfig {
        ViTConfig(embedDim: predictorDim, depth: predictorDepth, numHeads: encoder.numHeads, mlpRatio: 4)
    }
}
