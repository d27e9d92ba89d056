import CBLAS
import Threads

/// Regions where each of our workers runs its own small GEMMs (attention per
/// sample and head). With oneDNN (the default GEMM) a GEMM inside an OpenMP
/// region runs on its calling thread by itself; with IJEPA_GEMM=openblas,
/// OpenBLAS's own pool runs the large GEMMs and is switched to one thread
/// here.
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
