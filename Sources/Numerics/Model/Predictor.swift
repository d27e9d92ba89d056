import Random

/// The I-JEPA predictor: context tokens mapped to the predictor width with
/// its own sin-cos positions, a learned mask token plus the position of each
/// target appended, predictor blocks, LayerNorm, and a map back to the
/// encoder width, output only at the target positions. One pass per target
/// block with the context repeated, rows ordered mask-major (m·batch + b).
/// Only the target rows are read, so the last block computes only them
/// (TransformerBlocks' outputRows; the context rows still serve as keys and
/// values) and the norm and map see only them.
public final class Predictor {
    public let shape: JEPAShape
    public let params = ParameterStore()
    public let blocks: TransformerBlocks
    let maskToken: Int, embedW: Int, embedB: Int, normW: Int, normB: Int, projW: Int, projB: Int
    public let positions: [Float]

    // Shapes: B images, M target blocks, kc context and kt target tokens per
    // image, T = kc + kt, E = encoder width, P = predictor width.
    let ctxEmbed = FloatBuffer()   // (B, kc, P) predictor_embed(context) + position
    let x0 = FloatBuffer()         // (M, B, T, P) context tokens, then mask tokens + target positions
    let normed = FloatBuffer()     // (M, B, kt, P) predictor_norm of the last block's target rows
    let normMean = FloatBuffer()   // (M, B, kt)
    let normRstd = FloatBuffer()   // (M, B, kt)
    let out = FloatBuffer()        // (M, B, kt, E) predictor_proj(normed): the predictions
    let dNormed = FloatBuffer()    // (M, B, kt, P)
    let dx = FloatBuffer()         // (M, B, T, P) ∂loss/∂(last block's target rows), then ∂loss/∂x0
    let dCtxEmbed = FloatBuffer()  // (B, kc, P) summed over the M repeats
    let dContext = FloatBuffer()   // (B, kc, E) ∂loss/∂context, for the encoder's backward
    let lnScratch = FloatBuffer()  // per-thread partial sums of LayerNorm's weight gradients
    private var contextInput: UnsafePointer<Float>? = nil
    private var dims = (batch: 0, context: 0, masks: 0, targets: 0)

    /// The linear layers' GEMMs (MatmulPrecision); everything else is float32.
    public var precision: MatmulPrecision { blocks.precision }

    public init(shape: JEPAShape, precision: MatmulPrecision = .float32) {
        precondition(shape.predictorDepth >= 1 && shape.predictorDim % shape.encoder.numHeads == 0,
                     "predictor needs depth >= 1 and a width divisible by the heads")
        self.shape = shape
        let e = shape.encoder.embedDim, p = shape.predictorDim
        // The official state_dict order.
        embedW = params.add("predictor_embed.weight", [p, e])
        embedB = params.add("predictor_embed.bias", [p])
        maskToken = params.add("mask_token", [1, 1, p])
        blocks = TransformerBlocks(config: shape.predictor, prefix: "predictor_blocks", store: params, precision: precision)
        normW = params.add("predictor_norm.weight", [p])
        normB = params.add("predictor_norm.bias", [p])
        projW = params.add("predictor_proj.weight", [e, p])
        projB = params.add("predictor_proj.bias", [e])
        params.allocate()
        positions = PositionalEmbedding.sinCos2D(dim: p, gridSize: shape.gridSize)
    }

    public func initialize(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let e = shape.encoder.embedDim, p = shape.predictorDim
        Initialization.truncatedNormal(params.value(maskToken), count: p, std: 0.02, rng: &rng)
        Initialization.truncatedNormal(params.value(embedW), count: p * e, std: 0.02, rng: &rng)
        params.value(embedB).update(repeating: 0, count: p)
        blocks.initialize(rng: &rng)
        params.value(normW).update(repeating: 1, count: p)
        params.value(normB).update(repeating: 0, count: p)
        Initialization.truncatedNormal(params.value(projW), count: e * p, std: 0.02, rng: &rng)
        params.value(projB).update(repeating: 0, count: e)
    }

    /// `context` [batch·kc, E] (encoder output), `contextIndices` [batch, kc],
    /// `targetIndices` [masks, batch, kt]. Returns [masks·batch·kt, E].
    @discardableResult
    public func forward(context: UnsafePointer<Float>, batch b: Int, contextIndices: UnsafePointer<Int32>, contextCount kc: Int,
                        targetIndices: UnsafePointer<Int32>, masks m: Int, targetCount kt: Int) -> UnsafePointer<Float> {
        let e = shape.encoder.embedDim, p = shape.predictorDim, t = kc + kt, rows = m * b * t
        contextInput = context
        dims = (b, kc, m, kt)
        let xc = ctxEmbed.reserve(b * kc * p), x = x0.reserve(rows * p)
        Linear.forward(context, rows: b * kc, in: e, out: p, weight: params.value(embedW), bias: params.value(embedB), into: xc, precision: precision)
        positions.withUnsafeBufferPointer { pos in
            Rows.gatherAdd(pos.baseAddress!, width: p, indices: contextIndices, count: b * kc, into: xc)  // (B, kc, P)
            let mt = params.value(maskToken)
            for mi in 0..<m {
                for s in 0..<b {
                    let seq = x + ((mi * b + s) * t) * p  // (t, P): context tokens, then mask tokens
                    seq.update(from: xc + s * kc * p, count: kc * p)
                    for j in 0..<kt { (seq + (kc + j) * p).update(from: mt, count: p) }
                    Rows.gatherAdd(pos.baseAddress!, width: p, indices: targetIndices + (mi * b + s) * kt, count: kt,
                                   into: seq + kc * p)
                }
            }
        }
        let last = blocks.forward(x, batch: m * b, tokens: t, outputRows: kt)  // (M, B, kt, P)
        let kept = m * b * kt
        let nrm = normed.reserve(kept * p), y = out.reserve(kept * e)
        LayerNorm.forward(last, rows: kept, width: p, weight: params.value(normW), bias: params.value(normB),
                          mean: normMean.reserve(kept), rstd: normRstd.reserve(kept), into: nrm)
        Linear.forward(nrm, rows: kept, in: p, out: e, weight: params.value(projW), bias: params.value(projB), into: y, precision: precision)
        return UnsafePointer(y)
    }

    /// Accumulates parameter gradients for ∂loss/∂prediction `dOut` and
    /// returns ∂loss/∂context [batch·kc, E] for the encoder's backward.
    @discardableResult
    public func backward(_ dOut: UnsafePointer<Float>) -> UnsafePointer<Float> {
        guard let context = contextInput else { preconditionFailure("backward before forward") }
        let (b, kc, m, kt) = dims
        let e = shape.encoder.embedDim, p = shape.predictorDim, t = kc + kt, rows = m * b * t
        let kept = m * b * kt
        let dn = dNormed.reserve(kept * p)
        Linear.backward(dOut, x: normed.pointer, rows: kept, in: p, out: e, weight: params.value(projW),
                        dWeight: params.grad(projW), dBias: params.grad(projB), dx: dn, precision: precision)
        let g = dx.reserve(rows * p)  // the blocks' backward turns it into ∂loss/∂x0
        LayerNorm.backward(dn, x: blocks.output(ofLayer: shape.predictorDepth - 1), rows: kept, width: p,
                           weight: params.value(normW), mean: normMean.pointer, rstd: normRstd.pointer,
                           dWeight: params.grad(normW), dBias: params.grad(normB), dx: g, accumulate: false,
                           scratch: lnScratch)
        blocks.backward(g)
        // Split the input gradient: context copies sum back per sample; the
        // target rows all came from the one mask token.
        let dxc = dCtxEmbed.reserve(b * kc * p)
        dxc.update(repeating: 0, count: b * kc * p)
        let dmt = params.grad(maskToken)
        for mi in 0..<m {
            for s in 0..<b {
                let seq = g + ((mi * b + s) * t) * p
                Rows.add(seq, into: dxc + s * kc * p, count: kc * p)
                for j in 0..<kt {
                    let r = seq + (kc + j) * p
                    for c in 0..<p { dmt[c] += r[c] }
                }
            }
        }
        let dctx = dContext.reserve(b * kc * e)
        Linear.backward(dxc, x: context, rows: b * kc, in: e, out: p, weight: params.value(embedW),
                        dWeight: params.grad(embedW), dBias: params.grad(embedB), dx: dctx, precision: precision)
        return UnsafePointer(dctx)
    }
}
