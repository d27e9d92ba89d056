import Dispatch
import Numerics
import Threads

/// Replays recorded GEMM shapes on scratch buffers (for the sgemm-rate
/// reference of a benchmark). Calls are kept as a histogram, so a benchmark
/// can record many steps (55k calls each) without holding them all: the
/// replay runs every shape as many times as it was called, the big GEMMs on
/// all threads and the per-worker ones (attention per sample and head)
/// spread over the workers, single-threaded, as the step runs them.
public final class GEMMReplay {
    public typealias Histogram = [GEMM.Call: Int]
    let serial: [(GEMM.Call, Int)], perWorker: [(GEMM.Call, Int)]
    let a: FloatBuffer, b: FloatBuffer, c: FloatBuffer

    /// Adds `calls` to a histogram.
    public static func count(_ calls: [GEMM.Call], into h: inout Histogram) {
        for x in calls { h[x, default: 0] += 1 }
    }

    public convenience init(_ calls: [GEMM.Call], only region: Bool? = nil) {
        var h = Histogram()
        Self.count(calls, into: &h)
        self.init(h, only: region)
    }

    /// `only`: keep the calls inside (true) or outside (false) per-worker
    /// regions, to time the two kinds apart.
    public init(_ histogram: Histogram, only region: Bool? = nil) {
        // A fixed order (the dictionary's is not).
        let entries = histogram.filter { region == nil || $0.key.parallelRegion == region }
            .sorted { ($0.key.m, $0.key.n, $0.key.k, $0.key.transA ? 1 : 0, $0.key.transB ? 1 : 0) <
                      ($1.key.m, $1.key.n, $1.key.k, $1.key.transA ? 1 : 0, $1.key.transB ? 1 : 0) }
            .map { ($0.key, $0.value) }
        serial = entries.filter { !$0.0.parallelRegion }
        perWorker = entries.filter { $0.0.parallelRegion }
        let calls = entries.map(\.0)
        let sa = calls.map { ($0.transA ? $0.k : $0.m) * $0.lda }.max() ?? 1
        let sb = calls.map { ($0.transB ? $0.n : $0.k) * $0.ldb }.max() ?? 1
        let sc = calls.map { $0.m * $0.ldc }.max() ?? 1
        a = FloatBuffer(sa)
        b = FloatBuffer(sb)
        c = FloatBuffer(sc * Parallel.threadCount)
    }

    public var flops: Double { (serial + perWorker).reduce(0) { $0 + $1.0.flops * Double($1.1) } }
    public var callCount: Int { (serial + perWorker).reduce(0) { $0 + $1.1 } }

    /// Seconds of each shape outside per-worker regions, all its calls
    /// together, slowest first: where a step's GEMM time goes.
    public func serialShapeSeconds() -> [(call: GEMM.Call, calls: Int, seconds: Double)] {
        serial.map { x, times in
            let t0 = DispatchTime.now().uptimeNanoseconds
            runSerial(x, times: times)
            return (x, times, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }.sorted { $0.seconds > $1.seconds }
    }

    private func runSerial(_ x: GEMM.Call, times: Int) {
        for _ in 0..<times {
            GEMM.sgemm(x.transA, x.transB, x.m, x.n, x.k, 1, a.pointer, x.lda, b.pointer, x.ldb, 0, c.pointer, x.ldc,
                       precision: x.precision)
        }
    }

    public func run() {
        for (x, times) in serial { runSerial(x, times: times) }
        guard !perWorker.isEmpty else { return }
        let ap = SharedPointer(a.pointer), bp = SharedPointer(b.pointer), cp = SharedPointer(c.pointer)
        let stride = c.capacity / Parallel.threadCount, workers = Parallel.threadCount, calls = perWorker
        BLASThreads.singleThreaded {
            // Each worker runs its share of every shape's calls.
            Parallel.forChunks(workers) { w, _ in
                for (x, times) in calls {
                    for _ in (times * w / workers)..<(times * (w + 1) / workers) {
                        GEMM.sgemm(x.transA, x.transB, x.m, x.n, x.k, 1, ap.base, x.lda, bp.base, x.ldb, 0,
                                   cp.base + w * stride, x.ldc, precision: x.precision)
                    }
                }
            }
        }
    }
}
