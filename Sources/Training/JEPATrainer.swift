import Numerics
import Threads
import Random

/// One I-JEPA training step on a batch of normalised patches:
/// target = LayerNorm(target_encoder(all tokens)) at the target positions;
/// prediction = predictor(context_encoder(context tokens)); loss; backward;
/// AdamW on the context encoder and the predictor; EMA of the target encoder.
public final class JEPATrainer {
    public let shape: JEPAShape
    public let encoder: VisionTransformer
    public let targetEncoder: VisionTransformer
    public let predictor: Predictor
    public let encoderOptimizer: AdamW
    public let predictorOptimizer: AdamW
    public let loss: PredictionLoss
    /// When set, sees each phase of every step (the benchmark's clock).
    public var observer: (any StepObserver)? = nil
    /// When set (data-parallel training), gradients, loss and monitors are
    /// the replicas' means; a fault on one replica is then every replica's.
    public var reducer: GradientReducer? = nil

    /// The official code normalises targets with F.layer_norm's default eps.
    public static let targetEps: Float = 1e-5

    /// Targets: the mean of the last `targetLayers` blocks, each normalised
    /// (data2vec's targets); 1 is I-JEPA's, the final output alone.
    public let targetLayers: Int
    /// Subtract from each target its position's mean over the batch, so
    /// the part of a target that its position alone predicts is not a target.
    public let centerTargets: Bool

    // Shapes: B images of N patches, M target blocks of kt tokens, E = width.
    let targetNormed = FloatBuffer()  // (B, N, E) target features of every token
    let targetMean = FloatBuffer()    // (B, N)
    let targetRstd = FloatBuffer()    // (B, N)
    let targetLayer = FloatBuffer()   // (B, N, E) one earlier block, normalised (targetLayers > 1)
    let targets = FloatBuffer()       // (M, B, kt, E) the target rows of targetNormed
    let lossGrad = FloatBuffer()      // (M, B, kt, E) ∂loss/∂prediction
    let pooled = FloatBuffer()        // (B, E) average-pooled target features (collapse monitor)

    public struct StepResult: Sendable {
        public let loss: Double
        /// Mean over features of the std across the batch of the target
        /// encoder's average-pooled features: near 0 means collapse.
        public let targetFeatureStd: Double
        /// L2 norm of all encoder and predictor gradients (before AdamW);
        /// NaN when the step stopped before its backward.
        public var gradNorm: Double = .nan
        /// The batch itself held NaN or infinite values (nothing was computed).
        public var nonFiniteInput = false
    }

    /// Why a step must stop training, or nil when it is fine.
    public static func fault(of r: StepResult) -> String? {
        if r.nonFiniteInput { return "the batch holds NaN or infinite values" }
        if !r.loss.isFinite { return "loss is \(r.loss)" }
        if !r.gradNorm.isFinite { return "gradient norm is \(r.gradNorm)" }
        return nil
    }

    /// Official initialisation: the encoder from `seed`, the predictor from
    /// `seed + 1`, the target encoder a copy of the encoder.
    /// `precision`: the three networks' linear layers (bfloat16: PyTorch's
    /// CPU autocast); weights, AdamW, the loss and the EMA stay float32.
    public init(shape: JEPAShape, loss: PredictionLoss, seed: UInt64, patchStd: Double = 0.02, targetLayers: Int = 1,
                centerTargets: Bool = false, precision: MatmulPrecision = .float32) {
        precondition(targetLayers >= 1 && targetLayers <= shape.encoder.depth, "targetLayers must be in 1...depth")
        self.shape = shape
        self.loss = loss
        self.targetLayers = targetLayers
        self.centerTargets = centerTargets
        encoder = VisionTransformer(shape: shape, precision: precision)
        targetEncoder = VisionTransformer(shape: shape, precision: precision)
        predictor = Predictor(shape: shape, precision: precision)
        encoder.initialize(seed: SeedStream.encoderInit(seed), patchStd: patchStd)
        predictor.initialize(seed: SeedStream.predictorInit(seed))
        targetEncoder.params.copyValues(from: encoder.params)
        encoderOptimizer = AdamW(store: encoder.params)
        predictorOptimizer = AdamW(store: predictor.params)
    }

    /// Forward and backward: returns the loss and leaves the gradients in the
    /// encoder's and predictor's stores (no update).
    public func computeGradients(patches: UnsafePointer<Float>, masks: MaskBatch) -> StepResult {
        let b = masks.batch, n = shape.numPatches, e = shape.encoder.embedDim
        let m = masks.masks, kt = masks.targetCount
        // With a reducer every replica must reach the collectives, so a bad
        // batch runs through (its NaNs reach every replica's mean) and is
        // reported after them.
        let inputFinite = Self.allFinite(patches, count: b * n * shape.patchDim)
        guard inputFinite || reducer != nil else {
            return StepResult(loss: .nan, targetFeatureStd: .nan, nonFiniteInput: true)
        }
        // Targets: no gradient flows here.
        let tg = targets.reserve(m * b * kt * e)
        let featureStd: Double = observer.phase(.targetForward) {
            let h = targetEncoder.forward(patches: patches, batch: b, indices: nil, count: n, training: false)
            let featureStd = Self.pooledStd(h, batch: b, tokens: n, width: e, scratch: pooled)
            let hn = targetFeatures(h, batch: b)
            masks.targets.withUnsafeBufferPointer { idx in  // (M, B, kt)
                for mi in 0..<m {
                    Rows.gather(hn, width: e, samples: b, sourceRows: n, indices: idx.baseAddress! + mi * b * kt,
                                count: kt, into: tg + mi * b * kt * e)  // tg: (M, B, kt, E)
                }
            }
            return featureStd
        }
        // Prediction.
        encoder.params.zeroGrads()
        predictor.params.zeroGrads()
        let count = m * b * kt * e
        let g = lossGrad.reserve(count)
        let value: Double = masks.context.withUnsafeBufferPointer { ctx in
            masks.targets.withUnsafeBufferPointer { tgt in
                let z = observer.phase(.contextForward) {
                    encoder.forward(patches: patches, batch: b, indices: ctx.baseAddress!, count: masks.contextCount)
                }
                let p = observer.phase(.predictorForward) {
                    predictor.forward(context: z, batch: b, contextIndices: ctx.baseAddress!,
                                      contextCount: masks.contextCount, targetIndices: tgt.baseAddress!,
                                      masks: m, targetCount: kt)
                }
                return observer.phase(.loss) { loss.evaluate(prediction: p, target: tg, count: count, grad: g) }
            }
        }
        guard value.isFinite || reducer != nil else { return StepResult(loss: value, targetFeatureStd: featureStd) }
        let dz = observer.phase(.predictorBackward) { predictor.backward(g) }
        reducer?.ready(predictor.params)
        observer.phase(.contextBackward) { encoder.backward(dz) }
        reducer?.ready(encoder.params)
        var lossValue = value, std = featureStd
        if let reducer {
            let means = observer.phase(.allreduce) { () -> [Double] in
                reducer.finish()
                return reducer.mean([value, featureStd, inputFinite ? 0 : 1])
            }
            if means[2] > 0 { return StepResult(loss: .nan, targetFeatureStd: .nan, nonFiniteInput: true) }
            lossValue = means[0]; std = means[1]
            guard lossValue.isFinite else { return StepResult(loss: lossValue, targetFeatureStd: std) }
        }
        let norm = (encoder.params.gradSquaredNorm() + predictor.params.gradSquaredNorm()).squareRoot()
        return StepResult(loss: lossValue, targetFeatureStd: std, gradNorm: norm)
    }

    /// A whole step from its inputs (StepInputs): gradients, AdamW, the EMA.
    public func step(patches: UnsafePointer<Float>, inputs i: StepInputs) -> StepResult {
        step(patches: patches, masks: i.masks, lr: i.lr, weightDecay: i.weightDecay, momentum: i.momentum)
    }

    /// A whole step: gradients, AdamW (lr, weight decay), then the EMA.
    public func step(patches: UnsafePointer<Float>, masks: MaskBatch, lr: Double, weightDecay: Double,
                     momentum: Double) -> StepResult {
        let r = computeGradients(patches: patches, masks: masks)
        guard Self.fault(of: r) == nil else { return r }
        observer.phase(.optimizer) {
            encoderOptimizer.update(lr: lr, weightDecay: weightDecay)
            predictorOptimizer.update(lr: lr, weightDecay: weightDecay)
            EMA.update(target: targetEncoder.params, online: encoder.params, momentum: momentum)
        }
        return r
    }

    /// The target features of every token [batch·numPatches, E] after a
    /// target encoder forward of whole images whose output is `h`:
    /// LayerNorm without parameters of the output (I-JEPA), or with
    /// targetLayers K > 1 the mean of that and of the K − 1 residual streams
    /// before it, each so normalised; then centred per position when
    /// centerTargets is on.
    public func targetFeatures(_ h: UnsafePointer<Float>, batch b: Int) -> UnsafePointer<Float> {
        let e = shape.encoder.embedDim, depth = shape.encoder.depth, rows = b * shape.numPatches
        let hn = targetNormed.reserve(rows * e), mean = targetMean.reserve(rows), rstd = targetRstd.reserve(rows)
        LayerNorm.forward(h, rows: rows, width: e, eps: Self.targetEps, weight: nil, bias: nil, mean: mean, rstd: rstd,
                          into: hn)
        if targetLayers > 1 {
            let y = targetLayer.reserve(rows * e)
            for l in (depth - targetLayers)..<(depth - 1) {
                LayerNorm.forward(targetEncoder.blockOutput(l), rows: rows, width: e, eps: Self.targetEps, weight: nil,
                                  bias: nil, mean: mean, rstd: rstd, into: y)
                Rows.add(y, into: hn, count: rows * e)
            }
            let k = 1 / Float(targetLayers)
            for i in 0..<(rows * e) { hn[i] *= k }
        }
        if centerTargets { centerPerPosition(hn, batch: b) }
        return UnsafePointer(hn)
    }

    /// x [batch, numPatches, E] minus its mean over the batch at each
    /// (position, feature); with a reducer the mean is the replicas' (equal
    /// slices, so the whole global batch's).
    func centerPerPosition(_ x: UnsafeMutablePointer<Float>, batch b: Int) {
        let width = shape.numPatches * shape.encoder.embedDim
        var mean = [Double](repeating: 0, count: width)
        for s in 0..<b {
            let row = x + s * width
            for j in 0..<width { mean[j] += Double(row[j]) }
        }
        for j in 0..<width { mean[j] /= Double(b) }
        if let reducer { mean = reducer.mean(mean) }
        let m = mean.map(Float.init)
        for s in 0..<b {
            let row = x + s * width
            for j in 0..<width { row[j] -= m[j] }
        }
    }

    static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        // x − x is 0 for every finite x and NaN otherwise; one pass, no branch per element.
        var acc: Float = 0
        for i in 0..<count { acc += x[i] - x[i] }
        return acc == 0
    }

    /// The collapse statistic (`FeatureSpread`) of the features pooled
    /// over each sample's tokens.
    static func pooledStd(_ h: UnsafePointer<Float>, batch b: Int, tokens n: Int, width e: Int,
                          scratch: FloatBuffer) -> Double {
        let p = scratch.reserve(b * e)  // (B, E)
        for s in 0..<b {
            let out = p + s * e
            out.update(repeating: 0, count: e)
            for t in 0..<n {
                let row = h + (s * n + t) * e
                for j in 0..<e { out[j] += row[j] }
            }
            for j in 0..<e { out[j] /= Float(n) }
        }
        return FeatureSpread.meanStd(p, rows: b, width: e)
    }
}
