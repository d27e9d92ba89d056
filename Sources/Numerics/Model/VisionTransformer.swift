import Random

/// The I-JEPA encoder: linear patch embedding (a Conv2d patch embedding with
/// its weight reshaped), fixed sin-cos positions, transformer blocks, final
/// LayerNorm. It can run on a subset of token positions per sample (the
/// context block) and keeps the output of every block.
public final class VisionTransformer {
    public let shape: JEPAShape
    public let params = ParameterStore()
    public let blocks: TransformerBlocks
    let patchW: Int, patchB: Int, normW: Int, normB: Int
    /// [numPatches, embed]
    public let positions: [Float]

    // Shapes: B images, K kept tokens each (all N patches, or a context
    // block), D = patch dim (C·p·p), E = width.
    let tokensIn = FloatBuffer()   // (B, K, D) the kept patches
    let x0 = FloatBuffer()         // (B, K, E) patch embedding + position
    let out = FloatBuffer()        // (B, K, E) final LayerNorm of the last block
    let normMean = FloatBuffer()   // (B, K)
    let normRstd = FloatBuffer()   // (B, K)
    let dx = FloatBuffer()         // (B, K, E) ∂loss/∂(last block's output)
    let lnScratch = FloatBuffer()  // per-thread partial sums of LayerNorm's weight gradients
    private var rows = 0

    /// The linear layers' GEMMs (MatmulPrecision); everything else is float32.
    public var precision: MatmulPrecision { blocks.precision }

    public init(shape: JEPAShape, precision: MatmulPrecision = .float32) {
        precondition(shape.encoder.depth >= 1 && shape.encoder.embedDim % shape.encoder.numHeads == 0,
                     "encoder needs depth >= 1 and a width divisible by its heads")
        self.shape = shape
        let e = shape.encoder.embedDim
        // The Conv2d weight's shape; its memory is the [E, C·p·p] matrix.
        patchW = params.add("patch_embed.proj.weight", [e, shape.channels, shape.patchSize, shape.patchSize])
        patchB = params.add("patch_embed.proj.bias", [e])
        blocks = TransformerBlocks(config: shape.encoder, prefix: "blocks", store: params, precision: precision)
        normW = params.add("norm.weight", [e])
        normB = params.add("norm.bias", [e])
        params.allocate()
        positions = PositionalEmbedding.sinCos2D(dim: e, gridSize: shape.gridSize)
    }

    /// Official initialisation with a seed. `patchStd` is the patch
    /// embedding's std: the official 0.02 suits 16x16x3 patches; on small
    /// grayscale patches it makes a token's content ~10x smaller than its
    /// sin-cos position.
    public func initialize(seed: UInt64, patchStd: Double = 0.02) {
        var rng = SeededGenerator(seed: seed)
        let e = shape.encoder.embedDim
        Initialization.truncatedNormal(params.value(patchW), count: e * shape.patchDim, std: patchStd, rng: &rng)
        params.value(patchB).update(repeating: 0, count: e)
        blocks.initialize(rng: &rng)
        params.value(normW).update(repeating: 1, count: e)
        params.value(normB).update(repeating: 0, count: e)
    }

    /// `patches` [batch, numPatches, patchDim] (normalised pixels).
    /// `indices` [batch, count] token positions to keep per sample, or nil
    /// for all. Returns the normalised output [batch·count, embed], valid
    /// until the next forward of this instance (a predictor that reads it
    /// must run its backward before that: use separate instances for the
    /// target encoder and the context encoder).
    @discardableResult
    /// `training: false` when no backward follows (see TransformerBlocks).
    public func forward(patches: UnsafePointer<Float>, batch b: Int, indices: UnsafePointer<Int32>?,
                        count k: Int, training: Bool = true) -> UnsafePointer<Float> {
        let n = shape.numPatches, d = shape.patchDim, e = shape.encoder.embedDim
        precondition(indices != nil || k == n)
        rows = b * k
        let tin = tokensIn.reserve(rows * d), x = x0.reserve(rows * e), y = out.reserve(rows * e)
        // Embedding is per token, so gathering the kept patches first equals
        // embedding all and gathering after, at a fraction of the cost.
        positions.withUnsafeBufferPointer { pos in
            if let indices {
                Rows.gather(patches, width: d, samples: b, sourceRows: n, indices: indices, count: k, into: tin)  // (B, k, D)
                Rows.gather(pos.baseAddress!, width: e, indices: indices, count: b * k, into: x)             // (B, k, E)
            } else {
                tin.update(from: patches, count: b * n * d)
                for s in 0..<b { (x + s * n * e).update(from: pos.baseAddress!, count: n * e) }
            }
        }
        Linear.forward(tin, rows: rows, in: d, out: e, weight: params.value(patchW), bias: nil, into: y, precision: precision)
        Linear.addRows(bias: params.value(patchB), residual: y, rows: rows, width: e, into: x)
        let last = blocks.forward(x, batch: b, tokens: k, training: training)
        LayerNorm.forward(last, rows: rows, width: e, weight: params.value(normW), bias: params.value(normB),
                          mean: normMean.reserve(rows), rstd: normRstd.reserve(rows), into: y)
        return UnsafePointer(y)
    }

    /// The residual stream after block `l` of the last forward (before the final norm).
    public func blockOutput(_ l: Int) -> UnsafePointer<Float> { blocks.output(ofLayer: l) }

    /// Accumulates parameter gradients for ∂loss/∂output `dOut` [rows, embed].
    public func backward(_ dOut: UnsafePointer<Float>) {
        let e = shape.encoder.embedDim, d = shape.patchDim
        let g = dx.reserve(rows * e)
        let last = blocks.output(ofLayer: shape.encoder.depth - 1)
        LayerNorm.backward(dOut, x: last, rows: rows, width: e, weight: params.value(normW), mean: normMean.pointer,
                           rstd: normRstd.pointer, dWeight: params.grad(normW), dBias: params.grad(normB), dx: g,
                           accumulate: false, scratch: lnScratch)
        blocks.backward(g)
        // Positions are fixed; the patches are data: only the embedding learns.
        Linear.backward(g, x: tokensIn.pointer, rows: rows, in: d, out: e, weight: params.value(patchW),
                        dWeight: params.grad(patchW), dBias: params.grad(patchB), dx: nil, precision: precision)
    }
}
