import CBLAS
import Foundation

/// The one place that calls cblas_sgemm (row-major), so a benchmark can
/// record every GEMM shape a step runs and replay exactly those shapes to
/// measure the machine's own sgemm rate.
public enum GEMM {
    public struct Call: Sendable {
        public let transA: Bool, transB: Bool
        public let m: Int, n: Int, k: Int
        public let lda: Int, ldb: Int, ldc: Int
        /// Ran inside a region where each worker runs single-threaded GEMMs.
        public let parallelRegion: Bool
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var recording: [Call]? = nil
    nonisolated(unsafe) static var inParallelRegion = false

    static func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if recording != nil {
            lock.lock()
            recording?.append(Call(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                                   parallelRegion: inParallelRegion))
            lock.unlock()
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Every GEMM `body` runs, in order.
    public static func record(_ body: () -> Void) -> [Call] {
        lock.lock()
        recording = []
        lock.unlock()
        body()
        lock.lock()
        defer { recording = nil; lock.unlock() }
        return recording ?? []
    }
}
