import CKernels
import Foundation
import Threads

/// Multi-head softmax self-attention over a batch of equal-length
/// sequences. `qkv` is [B, T, 3C] with each token laid out [3][heads][hd]
/// (PyTorch's qkv.reshape(B, T, 3, h, hd)); the output is [B, T, C] with
/// heads concatenated per token. Work is spread over (sample, head) pairs.
///
/// Two kernels compute the same thing: a fused one (QKᵀ, softmax and PV of a
/// pair in one C call, any length, a head width that is a multiple of 16)
/// and per-pair GEMMs; `.automatic` takes the fused one for short sequences.
public enum Attention {
    public enum Kernel: Sendable {
        /// Fused where it applies (`fusedApplies`), GEMMs elsewhere.
        case automatic
        case fused
        case gemm
    }

    /// The fused kernel's one requirement: a head width that is a multiple
    /// of 16 (whole vectors); any sequence length.
    public static func fusedSupports(headWidth hd: Int) -> Bool { hd % 16 == 0 && hd > 0 }

    /// Where `.automatic` takes the fused kernel: up to 64 tokens, as before
    /// it took any length (faster on Zen 2 at 49 tokens, issue 17; kept, so
    /// every 7x7 result stays bit for bit). `NumericsBench --attention`, Zen 4,
    /// 2 threads, forward and backward: since its accumulators stay in
    /// registers, 1.03-1.08x the per-head GEMMs' speed at T = 49, hd 64, and
    /// 1.00-1.34x at hd 16; at T = 196 still 0.95-0.98x, so per-head GEMMs
    /// above 64 tokens (which also keeps every 14x14 result bit for bit).
    public static let automaticFusedTokens = 64

    /// Without the softmax matrix (no backward), the fused kernel's row
    /// blocks measured faster than per-head GEMMs up to this length
    /// (`NumericsBench --attention 16 49 64 100 144 196 256 --embed 96
    /// --inference`, Zen 4, 2 threads: 1.58x at 16 tokens, 1.15x at 49,
    /// 1.06x at 64, 1.02x at 100) and slower beyond (0.95-0.96x at 144-256).
    public static let automaticFusedInferenceTokens = 100

    public static func fusedApplies(tokens t: Int, headWidth hd: Int, storingProbs: Bool = true) -> Bool {
        t >= 1 && t <= (storingProbs ? automaticFusedTokens : automaticFusedInferenceTokens) && fusedSupports(headWidth: hd)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var counted: Double? = nil

    /// FLOPs of the fused attention calls `body` runs (a benchmark's
    /// arithmetic that no GEMM records).
    public static func countFusedFlops(_ body: () -> Void) -> Double {
        lock.lock()
        counted = 0
        lock.unlock()
        body()
        lock.lock()
        defer { counted = nil; lock.unlock() }
        return counted ?? 0
    }

    private static func count(_ flops: Double) {
        lock.lock()
        if counted != nil { counted! += flops }
        lock.unlock()
    }

    static func useFused(_ kernel: Kernel, tokens t: Int, headWidth hd: Int, storingProbs: Bool = true) -> Bool {
        switch kernel {
        case .automatic: return fusedApplies(tokens: t, headWidth: hd, storingProbs: storingProbs)
        case .fused:
            precondition(fusedSupports(headWidth: hd), "fused attention needs a head width that is a multiple of 16")
            return true
        case .gemm: return false
        }
    }

    /// `probs` receives the softmax matrices [B, h, tq, T] (kept for backward);
    /// nil when no backward follows (the fused kernel then keeps each block
    /// of rows' scores in cache and stores none; the same outputs).
    /// `queryRows` tq: only the last tq tokens of each sequence ask queries
    /// (all of them attend over all T), so `out` is [B, tq, C]: a block whose
    /// output is read at those rows alone skips the rest's attention.
    /// `scratch` holds the fused kernel's per-worker tiles.
    public static func forward(qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, queryRows: Int? = nil,
                               width c: Int, heads h: Int, probs: UnsafeMutablePointer<Float>?,
                               into out: UnsafeMutablePointer<Float>, scratch: FloatBuffer,
                               kernel: Kernel = .automatic) {
        let hd = c / h, tq = queryRows ?? t, skip = t - tq
        precondition(tq >= 1 && tq <= t, "queryRows must be in 1...tokens")
        let scale = 1 / Float(hd).squareRoot()
        let jobs = b * h, workers = Parallel.chunkCount(jobs)
        let q0 = SharedReadPointer(qkv), ps = probs.map { SharedPointer($0) }, os = SharedPointer(out)
        if useFused(kernel, tokens: t, headWidth: hd, storingProbs: probs != nil) {
            count(4 * Double(jobs * tq * t * hd))  // QKᵀ and PV
            let per = ps == nil ? ck_attention_rows_scratch(t, hd) : ck_attention_scratch(tq, t, hd)
            let ws = SharedPointer(scratch.reserve(workers * per))
            Parallel.forChunks(jobs) { chunk, range in
                for job in range {
                    let s = job / h, head = job % h
                    let k = q0.base + s * t * 3 * c + c + head * hd, q = k - c + skip * 3 * c
                    let o = os.base + s * tq * c + head * hd, w = ws.base + chunk * per
                    if let ps {
                        ck_attention_forward(q, 3 * c, k, k + c, 3 * c, tq, t, hd, scale, ps.base + job * tq * t, o, c, w)
                    } else {
                        ck_attention_forward_rows(q, 3 * c, k, k + c, 3 * c, tq, t, hd, scale, o, c, w)
                    }
                }
            }
            return
        }
        // Without probs, each worker's softmax matrix lives in scratch.
        let tiles = ps == nil ? SharedPointer(scratch.reserve(workers * tq * t)) : nil
        BLASThreads.singleThreaded {
            Parallel.forChunks(jobs) { chunk, range in
                for job in range {
                    let s = job / h, head = job % h
                    let k = q0.base + s * t * 3 * c + c + head * hd, q = k - c + skip * 3 * c, v = k + c
                    let p = ps.map { $0.base + job * tq * t } ?? tiles!.base + chunk * tq * t
                    GEMM.sgemm(false, true, tq, t, hd, scale, q, 3 * c, k, 3 * c, 0, p, t)
                    ck_softmax_rows(p, tq, t, t, 1)
                    GEMM.sgemm(false, false, tq, hd, t, 1, p, t, v, 3 * c, 0, os.base + s * tq * c + head * hd, c)
                }
            }
        }
    }

    /// dqkv = attention'ᵀ dout for `dOut` [B, tq, C], written (not
    /// accumulated) into [B, T, 3C]; the query part of rows that asked none is
    /// zero. `scratch` holds one tq×T matrix per worker (the fused kernel's
    /// tiles).
    public static func backward(dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                batch b: Int, tokens t: Int, queryRows: Int? = nil, width c: Int, heads h: Int,
                                dqkv: UnsafeMutablePointer<Float>, scratch: FloatBuffer, kernel: Kernel = .automatic) {
        let hd = c / h, tq = queryRows ?? t, skip = t - tq
        precondition(tq >= 1 && tq <= t, "queryRows must be in 1...tokens")
        let scale = 1 / Float(hd).squareRoot()
        let jobs = b * h
        let workers = Parallel.chunkCount(jobs)
        let fused = useFused(kernel, tokens: t, headWidth: hd)
        let per = fused ? ck_attention_scratch(tq, t, hd) : t * t
        if fused { count(8 * Double(jobs * tq * t * hd)) }  // dP, dV, dQ, dK
        let ds = SharedPointer(scratch.reserve(workers * per))
        // Each worker writes its own (sample, head) slice of dqkv.
        let q0 = SharedReadPointer(qkv), ps = SharedReadPointer(probs)
        let dos = SharedReadPointer(dOut), dq0 = SharedPointer(dqkv)
        BLASThreads.singleThreaded {
            Parallel.forChunks(jobs) { chunk, range in
                let work = ds.base + chunk * per
                for job in range {
                    let s = job / h, head = job % h
                    let off = s * t * 3 * c + head * hd
                    for i in 0..<skip { (dq0.base + off + i * 3 * c).update(repeating: 0, count: hd) }
                    let k = q0.base + off + c, v = k + c, q = q0.base + off + skip * 3 * c
                    let dk = dq0.base + off + c, dv = dk + c, dq = dq0.base + off + skip * 3 * c
                    let p = ps.base + job * tq * t
                    let dO = dos.base + s * tq * c + head * hd
                    if fused {
                        ck_attention_backward(q, 3 * c, k, v, 3 * c, p, dO, c, tq, t, hd, scale, dq, dk, dv, work)
                        continue
                    }
                    // dP = dO·Vᵀ, dV = Pᵀ·dO
                    GEMM.sgemm(false, true, tq, t, hd, 1, dO, c, v, 3 * c, 0, work, t)
                    GEMM.sgemm(true, false, t, hd, tq, 1, p, t, dO, c, 0, dv, 3 * c)
                    // Softmax backward: dS = P ⊙ (dP − Σ_j dP·P), then the scale.
                    ck_softmax_backward_rows(p, work, tq, t, scale)
                    // dQ = dS·K, dK = dSᵀ·Q
                    GEMM.sgemm(false, false, tq, hd, t, 1, work, t, k, 3 * c, 0, dq, 3 * c)
                    GEMM.sgemm(true, false, t, hd, tq, 1, work, t, q, 3 * c, 0, dk, 3 * c)
                }
            }
        }
    }
}
