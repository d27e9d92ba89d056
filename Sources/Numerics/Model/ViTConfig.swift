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
