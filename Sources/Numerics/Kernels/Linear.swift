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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(o), Int32(i),
                    1, x, Int32(i), w, Int32(i), b == nil ? 0 : 1, y, Int32(o))
    }

    /// Accumulates dW += dyᵀ·x and db += Σ dy; writes (or, with
    /// `accumulateInput`, adds) dx = dy·W when `dx` is given.
    public static func backward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows m: Int, in i: Int,
                                out o: Int, weight w: UnsafePointer<Float>,
                                dWeight dw: UnsafeMutablePointer<Float>, dBias db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false) {
        if let dx {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(i), Int32(o),
                        1, dy, Int32(o), w, Int32(i), accumulateInput ? 1 : 0, dx, Int32(i))
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(o), Int32(i), Int32(m),
                    1, dy, Int32(o), x, Int32(i), 1, dw, Int32(i))
        if let db {
            for r in 0..<m {
                let row = dy + r * o
                for j in 0..<o { db[j] += row[j] }
            }
        }
    }
}

/// OpenBLAS's own thread pool: used for the large GEMMs; switched to one
/// thread inside regions where our workers each run small GEMMs.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var count: Int { Int(openblas_get_num_threads()) }

    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        let n = count
        set(1)
        defer { set(n) }
        return try body()
    }

    public static var config: String { String(cString: openblas_get_config()) }
}
