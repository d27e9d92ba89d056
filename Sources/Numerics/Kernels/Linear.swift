import CBLAS
import CKernels
import Threads

/// y[M, O] = x[M, I] · W[O, I]ᵀ + b (+ residual), the layout of a PyTorch
/// nn.Linear weight, over row-major buffers. All tokens of a batch go
/// through one GEMM; bias and residual are added in one pass after it.
/// `precision` is the GEMMs' (bfloat16: operands rounded, float32 sums);
/// bias, residual and gradient sums stay float32.
public enum Linear {
    public static func forward(_ x: UnsafePointer<Float>, rows m: Int, in i: Int, out o: Int,
                               weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                               residual: UnsafePointer<Float>? = nil, into y: UnsafeMutablePointer<Float>,
                               precision: MatmulPrecision = .float32) {
        GEMM.sgemm(false, true, m, o, i, 1, x, i, w, i, 0, y, o, precision: precision)
        if b != nil || residual != nil { addRows(bias: b, residual: residual, rows: m, width: o, into: y) }
    }

    /// The same in bfloat16 for an input already rounded (`x.rows` x
    /// `x.cols`, written by the layer before through `Operand.produce`, and
    /// kept by the caller for the weight gradient): no second pass over x.
    static func forward(_ x: BFloat16GEMM.Operand, out o: Int, weight w: UnsafePointer<Float>,
                        bias b: UnsafePointer<Float>?, residual: UnsafePointer<Float>? = nil,
                        into y: UnsafeMutablePointer<Float>) {
        let m = x.rows, i = x.cols
        // A bias alone goes into the GEMM; with a residual both are added
        // after it, in the float32 path's order (y + (b + r)).
        let fusedBias = residual == nil ? b : nil
        BFloat16GEMM.withOperands(1, route: x.route) { ops in
            ops[0].load(w, rows: o, cols: i, ld: i)
            BFloat16GEMM.multiply(false, true, m, o, i, 1, x, ops[0], 0, y, o, bias: fusedBias)
        }
        if residual != nil { addRows(bias: b, residual: residual, rows: m, width: o, into: y) }
    }

    /// A layer's input as its model keeps it for the forward and the weight
    /// gradient: float32 rows, or (bfloat16) rounded once, as the layer
    /// before wrote it.
    enum Input {
        case float32(UnsafePointer<Float>, rows: Int, cols: Int)
        case rounded(BFloat16GEMM.Operand)
    }

    static func forward(_ x: Input, out o: Int, weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                        residual: UnsafePointer<Float>? = nil, into y: UnsafeMutablePointer<Float>,
                        precision: MatmulPrecision) {
        switch x {
        case let .float32(p, rows, cols):
            forward(p, rows: rows, in: cols, out: o, weight: w, bias: b, residual: residual, into: y, precision: precision)
        case let .rounded(operand):
            forward(operand, out: o, weight: w, bias: b, residual: residual, into: y)
        }
    }

    static func backward(_ dy: UnsafePointer<Float>, x: Input, out o: Int,
                         weight w: UnsafePointer<Float>, dWeight dw: UnsafeMutablePointer<Float>,
                         dBias db: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
                         scratch: FloatBuffer? = nil, precision: MatmulPrecision) {
        switch x {
        case let .float32(p, rows, cols):
            backward(dy, x: p, rows: rows, in: cols, out: o, weight: w, dWeight: dw, dBias: db, dx: dx,
                     scratch: scratch, precision: precision)
        case let .rounded(operand):
            backward(dy, x: operand, out: o, weight: w, dWeight: dw, dBias: db, dx: dx, scratch: scratch)
        }
    }

    /// y[r, :] += bias (+ residual[r, :]), rows split over the workers.
    public static func addRows(bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, rows: Int, width c: Int,
                               into y: UnsafeMutablePointer<Float>) {
        let ys = SharedPointer(y)
        let bs = bias.map { SharedReadPointer($0) }
        let rs = residual.map { SharedReadPointer($0) }
        Parallel.forChunks(rows) { _, r in
            ck_add_bias_residual(ys.base + r.lowerBound * c, bs?.base, rs.map { $0.base + r.lowerBound * c },
                                 r.count, c)
        }
    }

    /// Accumulates dW += dyᵀ·x and db += Σ dy; writes (or, with
    /// `accumulateInput`, adds) dx = dy·W when `dx` is given. `scratch`
    /// holds the per-worker partial bias sums (added in a fixed order, so
    /// the result does not depend on timing).
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows m: Int, in i: Int,
                                out o: Int, weight w: UnsafePointer<Float>,
                                dWeight dw: UnsafeMutablePointer<Float>, dBias db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                                scratch: FloatBuffer? = nil, precision: MatmulPrecision = .float32) {
        if precision == .bfloat16 {
            BFloat16GEMM.withOperands(1) { ops in
                ops[0].load(x, rows: m, cols: i, ld: i)
                backward(dy, x: ops[0], out: o, weight: w, dWeight: dw, dBias: db, dx: dx,
                         accumulateInput: accumulateInput, scratch: scratch)
            }
            return
        }
        defer { if let db { columnSums(dy, rows: m, width: o, into: db, scratch: scratch) } }
        if let dx {
            GEMM.sgemm(false, false, m, i, o, 1, dy, o, w, i, accumulateInput ? 1 : 0, dx, i)
        }
        GEMM.sgemm(true, false, o, i, m, 1, dy, o, x, i, 1, dw, i)
    }

    /// The backward in bfloat16 for an input rounded already (the forward's
    /// operand, kept): dy is rounded once for both GEMMs, and the bias
    /// gradient taken in the same pass over dy.
    static func backward(_ dy: UnsafePointer<Float>, x: BFloat16GEMM.Operand, out o: Int, weight w: UnsafePointer<Float>,
                         dWeight dw: UnsafeMutablePointer<Float>, dBias db: UnsafeMutablePointer<Float>?,
                         dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false, scratch: FloatBuffer? = nil) {
        let m = x.rows
        // ColumnSums needs the partials' scratch when the rows make several chunks.
        let sums = db.flatMap { db in
            scratch != nil || Parallel.chunkCount(m) == 1 ? ColumnSums(into: db, rows: m, width: o, scratch: scratch) : nil
        }
        BFloat16GEMM.withOperands(1, route: x.route) { ops in
            ops[0].load(dy, rows: m, cols: o, ld: o, columnSums: sums)
            backward(roundedDy: ops[0], x: x, out: o, weight: w, dWeight: dw, dx: dx, accumulateInput: accumulateInput)
        }
        if sums == nil, let db { columnSums(dy, rows: m, width: o, into: db, scratch: scratch) }
    }

    /// The backward's GEMMs in bfloat16 on a dy rounded already (as GELU's
    /// backward writes it): dW += dyᵀ·x, dx = dy·W (or += with
    /// `accumulateInput`). The bias gradient is the caller's.
    static func backward(roundedDy dyB: BFloat16GEMM.Operand, x: BFloat16GEMM.Operand, out o: Int,
                         weight w: UnsafePointer<Float>, dWeight dw: UnsafeMutablePointer<Float>,
                         dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false) {
        let m = x.rows, i = x.cols
        precondition(dyB.rows == m && dyB.cols == o)
        if let dx {
            BFloat16GEMM.withOperands(1, route: x.route) { ops in
                ops[0].load(w, rows: o, cols: i, ld: i)
                BFloat16GEMM.multiply(false, false, m, i, o, 1, dyB, ops[0], accumulateInput ? 1 : 0, dx, i)
            }
        }
        BFloat16GEMM.multiply(true, false, o, i, m, 1, dyB, x, 1, dw, i)
    }

    /// out[j] += Σ_r dy[r, j], in ColumnSums' order (without scratch, one
    /// thread down all the rows).
    public static func columnSums(_ dy: UnsafePointer<Float>, rows m: Int, width o: Int,
                                  into out: UnsafeMutablePointer<Float>, scratch: FloatBuffer?) {
        guard Parallel.chunkCount(m) == 1 || scratch != nil else {
            ck_column_sums_add(dy, out, m, o)
            return
        }
        let sums = ColumnSums(into: out, rows: m, width: o, scratch: scratch), ds = SharedReadPointer(dy)
        Parallel.forChunks(m) { w, r in sums.add(ds.base + r.lowerBound * o, rows: r.count, chunk: w) }
        sums.finish()
    }
}
