import CBLAS

/// y[M, O] = x[M, I] · W[O, I]ᵀ + b, the layout of a PyTorch nn.Linear
/// weight, over row-major buffers. All tokens of a batch go through one GEMM.
public enum Linear {
    public static func forward(_ x: UnsafePointer<Float>, rows m: Int, in i: Int, out o: Int,
                               weight w: UnsafePointer<Float>, bias b: UnsafePointer<Float>?,
                               into y: UnsafeMutablePointer<Float>) {
        if let b {
            for r in 0..<m { (y + r * o).update(from: b, count: o) }
        }
        GEMM.sgemm(false, true, m, o, i, 1, x, i, w, i, b == nil ? 0 : 1, y, o)
    }

    /// Accumulates dW += dyᵀ·x and db += Σ dy; writes (or, with
    /// `accumulateInput`, adds) dx = dy·W when `dx` is given.
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows m: Int, in i: Int,
                                out o: Int, weight w: UnsafePointer<Float>,
                                dWeight dw: UnsafeMutablePointer<Float>, dBias db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false) {
        if let dx {
            GEMM.sgemm(false, false, m, i, o, 1, dy, o, w, i, accumulateInput ? 1 : 0, dx, i)
        }
        GEMM.sgemm(true, false, o, i, m, 1, dy, o, x, i, 1, dw, i)
        if let db {
            for r in 0..<m {
                let row = dy + r * o
                for j in 0..<o { db[j] += row[j] }
            }
        }
    }
}

/// OpenBLAS's own thread pool runs the large GEMMs; inside regions where
/// each of our workers runs its own small GEMMs (attention per sample and
/// head) it is switched to one thread.
///
/// Measured alternative, rejected: OpenBLAS always single-threaded with the
/// large GEMMs split over our workers ran at 33 instead of 79 images/s on 2
/// cores, as concurrent single-threaded OpenBLAS 0.3.21 calls reached only
/// one core's rate.
///
/// The thread count and the region flag are process-wide: call the models
/// from one thread at a time.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var count: Int { Int(openblas_get_num_threads()) }

    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        let n = count
        set(1)
        GEMM.inParallelRegion = true
        defer {
            GEMM.inParallelRegion = false
            set(n)
        }
        return try body()
    }

    public static var config: String { String(cString: openblas_get_config()) }
}
