import CKernels
import Foundation
import Threads

/// Multi-head softmax self-attention over a batch of equal-length
/// sequences. `qkv` is [B, T, 3C] with each token laid out [3][heads][hd]
/// (PyTorch's qkv.reshape(B, T, 3, h, hd)); the output is [B, T, C] with
/// heads concatenated per token. Work is spread over (sample, head) pairs,
/// each running its own small single-threaded GEMMs.
public enum Attention {
    /// `probs` receives the softmax matrices [B, h, T, T] (kept for backward).
    public static func forward(qkv: UnsafePointer<Float>, batch b: Int, tokens t: Int, width c: Int, heads h: Int,
                               probs: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let hd = c / h
        let scale = 1 / Float(hd).squareRoot()
        let q0 = SharedPointer(UnsafeMutablePointer(mutating: qkv)), ps = SharedPointer(probs), os = SharedPointer(out)
        BLASThreads.singleThreaded {
            Parallel.forEach(b * h) { job in
                let s = job / h, head = job % h
                let base = q0.base + s * t * 3 * c + head * hd
                let q = base, k = base + c, v = base + 2 * c
                let p = ps.base + job * t * t
                GEMM.sgemm(false, true, t, t, hd, scale, q, 3 * c, k, 3 * c, 0, p, t)
                ck_softmax_rows(p, t, t, t, 1)
                GEMM.sgemm(false, false, t, hd, t, 1, p, t, v, 3 * c, 0, os.base + s * t * c + head * hd, c)
            }
        }
    }

    /// dqkv = attention'ᵀ dout, written (not accumulated) into [B, T, 3C].
    /// `scratch` holds one T×T matrix per worker.
    public static func backward(dOut: UnsafePointer<Float>, qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                batch b: Int, tokens t: Int, width c: Int, heads h: Int,
                                dqkv: UnsafeMutablePointer<Float>, scratch: FloatBuffer) {
        let hd = c / h
        let scale = 1 / Float(hd).squareRoot()
        let jobs = b * h
        let workers = Parallel.chunkCount(jobs)
        let ds = SharedPointer(scratch.reserve(workers * t * t))
        let q0 = SharedPointer(UnsafeMutablePointer(mutating: qkv)), ps = SharedPointer(UnsafeMutablePointer(mutating: probs))
        let dos = SharedPointer(UnsafeMutablePointer(mutating: dOut)), dq0 = SharedPointer(dqkv)
        BLASThreads.singleThreaded {
            Parallel.forChunks(jobs) { chunk, range in
                let dp = ds.base + chunk * t * t
                for job in range {
                    let s = job / h, head = job % h
                    let off = s * t * 3 * c + head * hd
                    let q = q0.base + off, k = q + c, v = q + 2 * c
                    let dq = dq0.base + off, dk = dq + c, dv = dq + 2 * c
                    let p = ps.base + job * t * t
                    let dO = dos.base + s * t * c + head * hd
                    // dP = dO·Vᵀ, dV = Pᵀ·dO
                    GEMM.sgemm(false, true, t, t, hd, 1, dO, c, v, 3 * c, 0, dp, t)
                    GEMM.sgemm(true, false, t, hd, t, 1, p, t, dO, c, 0, dv, 3 * c)
                    // Softmax backward: dS = P ⊙ (dP − Σ_j dP·P), then the scale.
                    ck_softmax_backward_rows(p, dp, t, t, scale)
                    // dQ = dS·K, dK = dSᵀ·Q
                    GEMM.sgemm(false, false, t, hd, t, 1, dp, t, k, 3 * c, 0, dq, 3 * c)
                    GEMM.sgemm(true, false, t, hd, t, 1, dp, t, q, 3 * c, 0, dk, 3 * c)
                }
            }
        }
    }
}
