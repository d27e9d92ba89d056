import Random

/// A stack of pre-norm transformer blocks over a batch of equal-length
/// token sequences, with explicit forward and backward:
///   x = x + proj(attention(qkv(norm1(x))));  x = x + fc2(gelu(fc1(norm2(x)))).
/// Activations live in per-layer buffers reused across steps. The last
/// block can stop at the rows its reader needs (`outputRows`): every token
/// still serves as a key and value, but only those rows get queries,
/// the projection and the MLP.
public final class TransformerBlocks {
    public let config: ViTConfig
    public let prefix: String
    /// The linear layers' GEMMs (attention, LayerNorm and GELU are float32).
    public let precision: MatmulPrecision
    let store: ParameterStore

    struct Layer {
        let n1w, n1b, qkvw, qkvb, projw, projb, n2w, n2b, fc1w, fc1b, fc2w, fc2b: Int
    }

    // Shapes: B sequences of T tokens, C = width, H = MLP hidden width, NH
    // heads; Q = T, or in the last block the rows kept (outputRows).
    final class Activations {
        let ln1 = FloatBuffer()      // (B, T, C) norm1(x) (float32 GEMMs)
        let ln1Mean = FloatBuffer()  // (B, T)
        let ln1Rstd = FloatBuffer()  // (B, T)
        let qkv = FloatBuffer()      // (B, T, 3, NH, C/NH) as PyTorch splits qkv
        let probs = FloatBuffer()    // (B, NH, Q, T) softmax(q·kᵀ/√(C/NH)), kept for backward
        let attOut = FloatBuffer()   // (B, Q, C) attention output before proj
        let kept = FloatBuffer()     // (B, Q, C) the block input's kept rows (Q < T only)
        let res1 = FloatBuffer()     // (B, Q, C) x + proj(attOut)
        let ln2 = FloatBuffer()      // (B, Q, C) norm2(res1) (float32 GEMMs)
        let ln2Mean = FloatBuffer()  // (B, Q)
        let ln2Rstd = FloatBuffer()  // (B, Q)
        let fc1 = FloatBuffer()      // (B, Q, H) before GELU; in training GELU's slope there
        let gelu = FloatBuffer()     // (B, Q, H) (float32 GEMMs)
        let out = FloatBuffer()      // (B, Q, C) res1 + fc2(gelu): the block's output
        // With bfloat16 GEMMs the four linear inputs are kept rounded
        // instead (ln1, attOut, ln2, gelu): rounded as written, once for the
        // forward and the weight gradient, at half the memory.
        lazy var rounded = (0..<4).map { _ in BFloat16GEMM.Operand(route: BFloat16GEMM.route) }
        // The four inputs as the forward left them, for the backward.
        var ln1In, attIn, ln2In, geluIn: Linear.Input?
    }

    let layers: [Layer]
    let acts: [Activations]
    // Backward scratch, shared by all layers.
    let dHidden = FloatBuffer()      // (B, T, H) ∂/∂gelu
    let dHidden2 = FloatBuffer()     // (B, T, H) ∂/∂fc1 (float32 GEMMs)
    // (B, T, H) ∂/∂fc1 rounded as written, with bfloat16 GEMMs (no float32 copy)
    lazy var dHidden2Rounded = BFloat16GEMM.Operand(route: BFloat16GEMM.route)
    let dNarrow = FloatBuffer()      // (B, T, C) ∂/∂ln2, ∂/∂attOut, ∂/∂ln1 in turn
    let dQkv = FloatBuffer()         // (B, T, 3C)
    let dKept = FloatBuffer()        // (B, Q, C) ∂/∂res1 of the last block when Q < T
    let lnScratch = FloatBuffer()    // per-thread partial sums of LayerNorm's weight gradients
    let attScratch = FloatBuffer()   // (workers, T, T), or the fused kernel's tiles: attention backward
    let biasScratch = FloatBuffer()  // per-thread partial sums of bias gradients

    private var input: UnsafePointer<Float>? = nil
    private var canBackward = false
    private(set) var batch = 0
    private(set) var tokens = 0
    private(set) var outputRows = 0

    /// Registers the parameters `<prefix>.<l>.…` in `store` (official names and shapes).
    public init(config: ViTConfig, prefix: String, store: ParameterStore, precision: MatmulPrecision = .float32) {
        self.config = config
        self.prefix = prefix
        self.precision = precision
        self.store = store
        let c = config.embedDim, h = config.hiddenDim
        var ls: [Layer] = []
        for l in 0..<config.depth {
            let p = "\(prefix).\(l)."
            ls.append(Layer(
                n1w: store.add(p + "norm1.weight", [c]), n1b: store.add(p + "norm1.bias", [c]),
                qkvw: store.add(p + "attn.qkv.weight", [3 * c, c]), qkvb: store.add(p + "attn.qkv.bias", [3 * c]),
                projw: store.add(p + "attn.proj.weight", [c, c]), projb: store.add(p + "attn.proj.bias", [c]),
                n2w: store.add(p + "norm2.weight", [c]), n2b: store.add(p + "norm2.bias", [c]),
                fc1w: store.add(p + "mlp.fc1.weight", [h, c]), fc1b: store.add(p + "mlp.fc1.bias", [h]),
                fc2w: store.add(p + "mlp.fc2.weight", [c, h]), fc2b: store.add(p + "mlp.fc2.bias", [c])))
        }
        layers = ls
        acts = ls.map { _ in Activations() }
    }

    /// Official initialisation: truncated normal (std 0.02) linear weights,
    /// zero biases, unit LayerNorms; attention proj and fc2 of layer l
    /// (1-based) divided by sqrt(2·l).
    func initialize(rng: inout SeededGenerator) {
        let c = config.embedDim, h = config.hiddenDim
        for (i, L) in layers.enumerated() {
            for (off, n) in [(L.qkvw, 3 * c * c), (L.projw, c * c), (L.fc1w, h * c), (L.fc2w, c * h)] {
                Initialization.truncatedNormal(store.value(off), count: n, std: 0.02, rng: &rng)
            }
            for (off, n) in [(L.n1w, c), (L.n2w, c)] { store.value(off).update(repeating: 1, count: n) }
            for (off, n) in [(L.n1b, c), (L.n2b, c), (L.qkvb, 3 * c), (L.projb, c), (L.fc1b, h), (L.fc2b, c)] {
                store.value(off).update(repeating: 0, count: n)
            }
            let s = Float(1 / (2.0 * Double(i + 1)).squareRoot())
            for (off, n) in [(L.projw, c * c), (L.fc2w, c * h)] {
                let p = store.value(off)
                for j in 0..<n { p[j] *= s }
            }
        }
    }

    /// The residual stream after block `l`: [batch·tokens, C], or for the
    /// last block [batch·outputRows, C].
    public func output(ofLayer l: Int) -> UnsafePointer<Float> { UnsafePointer(acts[l].out.pointer) }

    /// Runs all blocks on `x` [batch·tokens, C]; `x` must stay valid until
    /// backward. Returns the last block's output: [batch·tokens, C], or with
    /// `outputRows` k only each sequence's last k rows, [batch·k, C] (the
    /// same values; the rest is not computed). With `training: false`
    /// (no backward will follow: the target encoder, feature extraction)
    /// every block's intermediate values share one set of buffers, which
    /// saves most of the memory (each block's output is still kept).
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, batch b: Int, tokens t: Int, outputRows: Int? = nil,
                        training: Bool = true) -> UnsafePointer<Float> {
        let kept = outputRows ?? t
        precondition(kept >= 1 && kept <= t, "outputRows must be in 1...tokens")
        input = x
        batch = b
        tokens = t
        self.outputRows = kept
        canBackward = training
        let r = b * t, c = config.embedDim, hd = config.hiddenDim, heads = config.numHeads
        var cur = x
        for (l, L) in layers.enumerated() {
            // Rows past the attention: all, or the kept ones in the last block.
            let q = l == layers.count - 1 ? kept : t, rq = b * q
            let a = training ? acts[l] : acts[0], out = acts[l].out.reserve(rq * c)
            // The softmax matrices only where a backward will read them.
            let qkv = a.qkv.reserve(r * 3 * c), probs = training ? a.probs.reserve(b * heads * q * t) : nil
            let att = a.attOut.reserve(rq * c), res1 = a.res1.reserve(rq * c), fc1 = a.fc1.reserve(rq * hd)
            let ln1 = normalized(cur, rows: r, weight: L.n1w, bias: L.n1b, mean: a.ln1Mean, rstd: a.ln1Rstd,
                                 float32: a.ln1, rounded: 0, of: a)
            Linear.forward(ln1, out: 3 * c, weight: store.value(L.qkvw), bias: store.value(L.qkvb), into: qkv,
                           precision: precision)
            Attention.forward(qkv: qkv, batch: b, tokens: t, queryRows: q, width: c, heads: heads, probs: probs,
                              into: att, scratch: attScratch)
            let attIn = input(att, rows: rq, cols: c, rounded: 1, of: a)
            let residual = q == t ? cur : Self.lastRows(cur, batch: b, tokens: t, keep: q, width: c, into: a.kept)
            Linear.forward(attIn, out: c, weight: store.value(L.projw), bias: store.value(L.projb), residual: residual,
                           into: res1, precision: precision)
            let ln2 = normalized(res1, rows: rq, weight: L.n2w, bias: L.n2b, mean: a.ln2Mean, rstd: a.ln2Rstd,
                                 float32: a.ln2, rounded: 2, of: a)
            Linear.forward(ln2, out: hd, weight: store.value(L.fc1w), bias: nil, into: fc1, precision: precision)
            let gelu: Linear.Input
            if precision == .bfloat16 {
                GELU.biasForward(fc1, bias: store.value(L.fc1b), rows: rq, width: hd, rounded: a.rounded[3],
                                 keepSlope: training)
                gelu = .rounded(a.rounded[3])
            } else {
                let g = a.gelu.reserve(rq * hd)
                GELU.biasForward(fc1, bias: store.value(L.fc1b), rows: rq, width: hd, into: g, keepSlope: training)
                gelu = .float32(g, rows: rq, cols: hd)
            }
            Linear.forward(gelu, out: c, weight: store.value(L.fc2w), bias: store.value(L.fc2b), residual: res1,
                           into: out, precision: precision)
            (a.ln1In, a.attIn, a.ln2In, a.geluIn) = (ln1, attIn, ln2, gelu)
            cur = UnsafePointer(out)
        }
        return cur
    }

    /// LayerNorm of x as the next linear layer's input: float32 in
    /// `float32`, or with bfloat16 GEMMs rounded into the activations'
    /// operand `rounded` as it is written (no float32 copy).
    private func normalized(_ x: UnsafePointer<Float>, rows: Int, weight: Int, bias: Int, mean: FloatBuffer,
                            rstd: FloatBuffer, float32: FloatBuffer, rounded k: Int, of a: Activations) -> Linear.Input {
        let c = config.embedDim, w = store.value(weight), b = store.value(bias)
        let m = mean.reserve(rows), s = rstd.reserve(rows)
        if precision == .bfloat16 {
            LayerNorm.forward(x, rows: rows, width: c, weight: w, bias: b, mean: m, rstd: s, rounded: a.rounded[k],
                              float32: nil)
            return .rounded(a.rounded[k])
        }
        let y = float32.reserve(rows * c)
        LayerNorm.forward(x, rows: rows, width: c, weight: w, bias: b, mean: m, rstd: s, into: y)
        return .float32(y, rows: rows, cols: c)
    }

    /// A float32 activation as a linear layer's input: itself, or with
    /// bfloat16 GEMMs its rounded copy in operand `rounded`.
    private func input(_ x: UnsafePointer<Float>, rows: Int, cols: Int, rounded k: Int, of a: Activations) -> Linear.Input {
        guard precision == .bfloat16 else { return .float32(x, rows: rows, cols: cols) }
        a.rounded[k].load(x, rows: rows, cols: cols, ld: cols)
        return .rounded(a.rounded[k])
    }

    /// The last `keep` of every `tokens` rows of x, packed: [batch·keep, width].
    static func lastRows(_ x: UnsafePointer<Float>, batch b: Int, tokens t: Int, keep q: Int, width c: Int,
                         into buffer: FloatBuffer) -> UnsafePointer<Float> {
        let y = buffer.reserve(b * q * c)
        for s in 0..<b { (y + s * q * c).update(from: x + (s * t + t - q) * c, count: q * c) }
        return UnsafePointer(y)
    }

    /// Given dx = ∂loss/∂(last output) (laid out as forward returned it, in a
    /// buffer of batch·tokens·C floats), accumulates every parameter gradient
    /// and leaves ∂loss/∂(input) [batch·tokens, C] in dx.
    public func backward(_ dx: UnsafeMutablePointer<Float>) {
        guard let x0 = input, canBackward else { preconditionFailure("backward without a training forward") }
        let b = batch, t = tokens, r = b * t, c = config.embedDim, hd = config.hiddenDim, heads = config.numHeads
        let dH = dHidden.reserve(r * hd)
        let dN = dNarrow.reserve(r * c), dq = dQkv.reserve(r * 3 * c)
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let L = layers[l], a = acts[l]
            let q = l == layers.count - 1 ? outputRows : t, rq = b * q
            let blockIn = l == 0 ? x0 : UnsafePointer(acts[l - 1].out.pointer)
            // ∂/∂res1 accumulates in dx, or apart while it has fewer rows than the input.
            let dRes = q == t ? dx : dKept.reserve(rq * c)
            if q < t { dRes.update(from: dx, count: rq * c) }
            // MLP branch.
            Linear.backward(dRes, x: a.geluIn!, out: c, weight: store.value(L.fc2w), dWeight: store.grad(L.fc2w),
                            dBias: store.grad(L.fc2b), dx: dH, scratch: biasScratch, precision: precision)
            // ∂/∂fc1, with fc1's bias gradient taken as it is written.
            let fc1Bias = ColumnSums(into: store.grad(L.fc1b), rows: rq, width: hd, scratch: biasScratch)
            switch a.ln2In! {
            case let .rounded(ln2):
                GELU.backward(dH, slope: a.fc1.pointer, rows: rq, width: hd, rounded: dHidden2Rounded, columnSums: fc1Bias)
                Linear.backward(roundedDy: dHidden2Rounded, x: ln2, out: hd, weight: store.value(L.fc1w),
                                dWeight: store.grad(L.fc1w), dx: dN)
            case .float32:
                let dH2 = dHidden2.reserve(rq * hd)
                GELU.backward(dH, slope: a.fc1.pointer, rows: rq, width: hd, into: dH2, columnSums: fc1Bias)
                Linear.backward(dH2, x: a.ln2In!, out: hd, weight: store.value(L.fc1w), dWeight: store.grad(L.fc1w),
                                dBias: nil, dx: dN, scratch: biasScratch, precision: precision)
            }
            LayerNorm.backward(dN, x: a.res1.pointer, rows: rq, width: c, weight: store.value(L.n2w),
                               mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer, dWeight: store.grad(L.n2w),
                               dBias: store.grad(L.n2b), dx: dRes, accumulate: true, scratch: lnScratch)
            // Attention branch.
            Linear.backward(dRes, x: a.attIn!, out: c, weight: store.value(L.projw), dWeight: store.grad(L.projw),
                            dBias: store.grad(L.projb), dx: dN, scratch: biasScratch, precision: precision)
            Attention.backward(dOut: dN, qkv: a.qkv.pointer, probs: a.probs.pointer, batch: b, tokens: t,
                               queryRows: q, width: c, heads: heads, dqkv: dq, scratch: attScratch)
            Linear.backward(dq, x: a.ln1In!, out: 3 * c, weight: store.value(L.qkvw), dWeight: store.grad(L.qkvw),
                            dBias: store.grad(L.qkvb), dx: dN, scratch: biasScratch, precision: precision)
            if q < t {
                // The residual reaches only the kept rows of the input.
                for s in 0..<b {
                    (dx + s * t * c).update(repeating: 0, count: (t - q) * c)
                    (dx + (s * t + t - q) * c).update(from: dRes + s * q * c, count: q * c)
                }
            }
            LayerNorm.backward(dN, x: blockIn, rows: r, width: c, weight: store.value(L.n1w),
                               mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer, dWeight: store.grad(L.n1w),
                               dBias: store.grad(L.n1b), dx: dx, accumulate: true, scratch: lnScratch)
        }
    }
}
