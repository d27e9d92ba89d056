import Foundation
import Threads

/// LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) · w + b
/// (biased variance, as PyTorch). Without w and b: the plain normalisation
/// used on the target features.
public enum LayerNorm {
    public static func forward(_ x: UnsafePointer<Float>, rows: Int, width c: Int, eps: Float = 1e-6,
                               weight w: UnsafePointer<Float>?, bias b: UnsafePointer<Float>?,
                               mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
                               into y: UnsafeMutablePointer<Float>) {
        let xs = SharedPointer(UnsafeMutablePointer(mutating: x)), ys = SharedPointer(y)
        let ms = SharedPointer(mean), rs = SharedPointer(rstd)
        let ws = w.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
        let bs = b.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
        Parallel.forEach(rows) { r in
            let xr = xs.base + r * c, yr = ys.base + r * c
            var s: Float = 0
            for j in 0..<c { s += xr[j] }
            let m = s / Float(c)
            var v: Float = 0
            for j in 0..<c { let d = xr[j] - m; v += d * d }
            let inv = 1 / (v / Float(c) + eps).squareRoot()
            ms.base[r] = m
            rs.base[r] = inv
            if let ws, let bs {
                for j in 0..<c { yr[j] = (xr[j] - m) * inv * ws.base[j] + bs.base[j] }
            } else {
                for j in 0..<c { yr[j] = (xr[j] - m) * inv }
            }
        }
    }

    /// dx (+)= LayerNorm'ᵀ dy; dw += Σ dy·x̂, db += Σ dy (per-worker partial
    /// sums, then added in a fixed order, so the result is deterministic).
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, width c: Int,
                                weight w: UnsafePointer<Float>?, mean: UnsafePointer<Float>,
                                rstd: UnsafePointer<Float>, dWeight dw: UnsafeMutablePointer<Float>?,
                                dBias db: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>,
                                accumulate: Bool, scratch: FloatBuffer) {
        let workers = Parallel.chunkCount(rows)
        let partial = scratch.reserve(workers * 2 * c)
        partial.update(repeating: 0, count: workers * 2 * c)
        let dys = SharedPointer(UnsafeMutablePointer(mutating: dy)), xs = SharedPointer(UnsafeMutablePointer(mutating: x))
        let ms = SharedPointer(UnsafeMutablePointer(mutating: mean)), rs = SharedPointer(UnsafeMutablePointer(mutating: rstd))
        let ws = w.map { SharedPointer(UnsafeMutablePointer(mutating: $0)) }
        let dxs = SharedPointer(dx), ps = SharedPointer(partial)
        Parallel.forChunks(rows) { chunk, range in
            let pw = ps.base + chunk * 2 * c, pb = pw + c
            for r in range {
                let dyr = dys.base + r * c, xr = xs.base + r * c, dxr = dxs.base + r * c
                let m = ms.base[r], inv = rs.base[r]
                // mean(g) and mean(g·x̂) with g = dy·w.
                var sg: Float = 0, sgx: Float = 0
                for j in 0..<c {
                    let xh = (xr[j] - m) * inv
                    let g = dyr[j] * (ws?.base[j] ?? 1)
                    sg += g
                    sgx += g * xh
                    pw[j] += dyr[j] * xh
                    pb[j] += dyr[j]
                }
                sg /= Float(c)
                sgx /= Float(c)
                for j in 0..<c {
                    let xh = (xr[j] - m) * inv
                    let g = dyr[j] * (ws?.base[j] ?? 1)
                    let v = inv * (g - sg - xh * sgx)
                    dxr[j] = accumulate ? dxr[j] + v : v
                }
            }
        }
        for k in 0..<workers {
            let pw = partial + k * 2 * c, pb = pw + c
            if let dw { for j in 0..<c { dw[j] += pw[j] } }
            if let db { for j in 0..<c { db[j] += pb[j] } }
        }
    }
}
