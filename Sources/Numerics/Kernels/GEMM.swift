import CBLAS
import CDNNL
import Foundation
import Threads

/// The one place that calls a row-major sgemm, so a benchmark can record
/// every GEMM shape a step runs and replay exactly those shapes to measure
/// the machine's own sgemm rate.
///
/// Backend: oneDNN's sgemm by default. On the shapes of a ViT step (6272
/// tokens by 96-768 features) it ran at 91-117 GFLOP/s on 2 Zen 2 cores
/// where OpenBLAS 0.3.21 ran at 43-97 (same run, tools/bench). `IJEPA_GEMM=openblas`
/// selects OpenBLAS. Both give the same results up to float rounding.
public enum GEMM {
    public enum Backend: String, Sendable { case onednn, openblas }

    public struct UnknownBackend: Error, CustomStringConvertible {
        public let description: String
    }

    /// The backend `IJEPA_GEMM` names (unset: oneDNN).
    public static func backend(named name: String?) throws(UnknownBackend) -> Backend {
        guard let b = Backend(rawValue: name ?? Backend.onednn.rawValue) else {
            throw UnknownBackend(description: "IJEPA_GEMM=\(name ?? ""): expected onednn or openblas")
        }
        return b
    }

    /// Executables call this before any GEMM, so an unknown `IJEPA_GEMM` is
    /// their one-line error; `backend` itself cannot report one.
    public static func checkEnvironment() throws(UnknownBackend) {
        _ = try backend(named: ProcessInfo.processInfo.environment["IJEPA_GEMM"])
    }

    /// The backend in use. Reached without `checkEnvironment` (tests) an
    /// unknown name stops with the same message.
    public static let backend: Backend = {
        do throws(UnknownBackend) { return try backend(named: ProcessInfo.processInfo.environment["IJEPA_GEMM"]) }
        catch { preconditionFailure(error.description) }
    }()

    /// The backend and its version, for manifests and benchmarks.
    public static var backendDescription: String {
        switch backend {
        case .onednn:
            let v = dnnl_version()!.pointee
            return "oneDNN \(v.major).\(v.minor).\(v.patch) sgemm"
        case .openblas:
            return "OpenBLAS sgemm (\(BLASThreads.config))"
        }
    }

    public struct Call: Sendable, Hashable {
        public let transA: Bool, transB: Bool
        public let m: Int, n: Int, k: Int
        public let lda: Int, ldb: Int, ldc: Int
        /// Ran inside a region where each worker runs single-threaded GEMMs.
        public let parallelRegion: Bool
        public var precision: MatmulPrecision = .float32
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var recording: [Call]? = nil
    nonisolated(unsafe) static var inParallelRegion = false

    /// c = alpha · op(a) · op(b) + beta · c over row-major float32 buffers;
    /// with `precision` bfloat16 the operands are rounded to bf16 first
    /// (BFloat16GEMM), the products accumulated in float32 all the same.
    public static func sgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                      precision: MatmulPrecision = .float32, on chosen: Backend = backend) {
        switch precision {
        case .float32:
            note(Call(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                      parallelRegion: inParallelRegion))
            float32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, on: chosen)
        case .bfloat16:
            // Recorded by BFloat16GEMM.multiply, which GEMMs on rounded operands reach directly too.
            BFloat16GEMM.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        }
    }

    /// The float32 GEMM itself (not recorded: the emulated bf16 GEMM calls it too).
    static func float32(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, on chosen: Backend = backend) {
        switch chosen {
        case .onednn:
            // Inside a parallel region oneDNN runs on the calling thread alone.
            Parallel.pinTeamSize()
            var status = dnnl_success
            timed {
                status = dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda),
                                    b, Int64(ldb), beta, c, Int64(ldc))
            }
            precondition(status == dnnl_success, "dnnl_sgemm failed (\(status)) for \(m)x\(n)x\(k)")
        case .openblas:
            timed {
                cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            }
        }
    }

    /// Wall time of the GEMMs run outside per-worker regions while `record`
    /// runs, by shape: the step's GEMM time in place, beside the replay's.
    nonisolated(unsafe) public private(set) static var recordedSecondsByShape: [Call: Double] = [:]
    /// All of them together.
    public static var recordedSeconds: Double { recordedSecondsByShape.values.reduce(0, +) }
    /// The call `note` saw last outside per-worker regions: the one `timed` runs.
    nonisolated(unsafe) private static var lastCall: Call? = nil

    /// Runs `body` (one GEMM), timing it while recording.
    @inline(__always)
    static func timed(_ body: () -> Void) {
        guard recording != nil, !inParallelRegion else { return body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        if let c = lastCall { recordedSecondsByShape[c, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
    }

    /// Records a call while `record` runs.
    static func note(_ call: @autoclosure () -> Call) {
        guard recording != nil else { return }
        lock.lock()
        let c = call()
        recording?.append(c)
        if !c.parallelRegion { lastCall = c }
        lock.unlock()
    }

    /// Every GEMM `body` runs, in order.
    public static func record(_ body: () -> Void) -> [Call] {
        lock.lock()
        recording = []
        recordedSecondsByShape = [:]
        lastCall = nil
        lock.unlock()
        body()
        lock.lock()
        defer { recording = nil; lock.unlock() }
        return recording ?? []
    }
}
