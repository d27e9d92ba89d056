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
        defer { if let db { columnSums(dy, rows: m, width: o, into: db, scratch: scratch) } }
        if precision == .bfloat16 {
            // dy is rounded once for both GEMMs.
            BFloat16GEMM.withOperands(3) { ops in
                ops[0].load(dy, rows: m, cols: o, ld: o)
                if let dx {
                    ops[1].load(w, rows: o, cols: i, ld: i)
                    BFloat16GEMM.multiply(false, false, m, i, o, 1, ops[0], ops[1], accumulateInput ? 1 : 0, dx, i)
                }
                ops[2].load(x, rows: m, cols: i, ld: i)
                BFloat16GEMM.multiply(true, false, o, i, m, 1, ops[0], ops[2], 1, dw, i)
            }
            return
        }
        if let dx {
            GEMM.sgemm(false, false, m, i, o, 1, dy, o, w, i, accumulateInput ? 1 : 0, dx, i)
        }
        GEMM.sgemm(true, false, o, i, m, 1, dy, o, x, i, 1, dw, i)
    }

    /// out[j] += Σ_r dy[r, j].
    public static func columnSums(_ dy: UnsafePointer<Float>, rows m: Int, width o: Int,
                                  into out: UnsafeMutablePointer<Float>, scratch: FloatBuffer?) {
        let workers = Parallel.chunkCount(m)
        guard workers > 1, let scratch else {
            ck_column_sums_add(dy, out, m, o)
            return
        }
        let partial = scratch.reserve(workers * o)
        partial.update(repeating: 0, count: workers * o)
        let ps = SharedPointer(partial), ds = SharedReadPointer(dy)
        Parallel.forChunks(m) { w, r in ck_column_sums_add(ds.base + r.lowerBound * o, ps.base + w * o, r.count, o) }
        for w in 0..<workers { ck_add(partial + w * o, out, o) }
    }
}
