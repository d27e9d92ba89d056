import Dispatch
import Threads

/// Replays recorded GEMM shapes on scratch buffers (for the sgemm-rate
/// reference of a benchmark).
public final class GEMMReplay {
    let calls: [GEMM.Call]
    let a: FloatBuffer, b: FloatBuffer, c: FloatBuffer

    /// `only`: keep the calls inside (true) or outside (false) per-worker
    /// regions, to time the two kinds apart.
    public init(_ calls: [GEMM.Call], only region: Bool? = nil) {
        let calls = region.map { r in calls.filter { $0.parallelRegion == r } } ?? calls
        self.calls = calls
        func size(_ rows: Int, _ ld: Int) -> Int { rows * ld }
        let sa = calls.map { size($0.transA ? $0.k : $0.m, $0.lda) }.max() ?? 1
        let sb = calls.map { size($0.transB ? $0.n : $0.k, $0.ldb) }.max() ?? 1
        let sc = calls.map { size($0.m, $0.ldc) }.max() ?? 1
        let workers = Parallel.threadCount
        a = FloatBuffer(sa)
        b = FloatBuffer(sb)
        c = FloatBuffer(sc * workers)
    }

    /// A large square GEMM's rate (GFLOP/s) through the same path: the
    /// machine's sgemm peak for reference.
    public static func peakRate(size n: Int = 1024, repeats: Int = 3) -> Double {
        let a = FloatBuffer(n * n), b = FloatBuffer(n * n), c = FloatBuffer(n * n)
        GEMM.sgemm(false, false, n, n, n, 1, a.pointer, n, b.pointer, n, 0, c.pointer, n)
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { GEMM.sgemm(false, false, n, n, n, 1, a.pointer, n, b.pointer, n, 0, c.pointer, n) }
        let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return 2 * Double(n * n * n) * Double(repeats) / dt / 1e9
    }

    public var flops: Double { calls.reduce(0) { $0 + $1.flops } }

    public func run() {
        var i = 0
        while i < calls.count {
            if !calls[i].parallelRegion {
                let x = calls[i]
                GEMM.sgemm(x.transA, x.transB, x.m, x.n, x.k, 1, a.pointer, x.lda, b.pointer, x.ldb, 0, c.pointer, x.ldc)
                i += 1
                continue
            }
            // A run of per-worker GEMMs: spread them like the kernels do.
            var j = i
            while j < calls.count && calls[j].parallelRegion { j += 1 }
            let run = Array(calls[i..<j])
            let ap = SharedPointer(a.pointer), bp = SharedPointer(b.pointer), cp = SharedPointer(c.pointer)
            let stride = c.capacity / Parallel.threadCount
            BLASThreads.singleThreaded {
                Parallel.forChunks(run.count) { w, range in
                    for x in run[range] {
                        GEMM.sgemm(x.transA, x.transB, x.m, x.n, x.k, 1, ap.base, x.lda, bp.base, x.ldb, 0,
                                   cp.base + w * stride, x.ldc)
                    }
                }
            }
            i = j
        }
    }
}
