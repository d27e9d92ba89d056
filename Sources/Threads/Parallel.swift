import COpenMP
import Foundation

/// Work split over the cores on GNU OpenMP's thread team: the same team
/// oneDNN runs its GEMMs on, so the two never compete for the cores (a
/// second pool, GCD's, made the GEMM threads and ours spin and yield against
/// each other: 15% of a training step in sched_yield, measured with perf).
/// `IJEPA_THREADS` caps the thread count (make -j sweeps set it so parallel
/// variants do not oversubscribe the machine). Without it, MPI ranks on one
/// host share its cores (the launcher's local rank count).
public enum Parallel {
    /// Read once: hot loops ask for it, and reading the environment allocates.
    public static let threadCount: Int = {
        let env = ProcessInfo.processInfo.environment
        if let s = env["IJEPA_THREADS"], let n = Int(s), n > 0 { return n }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for key in ["OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE", "MPI_LOCALNRANKS"] {
            if let s = env[key], let n = Int(s), n > 0 { return max(1, cores / n) }
        }
        return cores
    }()

    /// Calls `body(i)` for every i in 0..<count, spread over the threads in
    /// contiguous ranges. The body must only touch state disjoint per index.
    public static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(threadCount, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        team(workers) { w in
            for i in (count * w / workers)..<(count * (w + 1) / workers) { body(i) }
        }
    }

    /// Runs `run(w)` for every w in 0..<workers on an OpenMP team of that
    /// size. A nested call (inside another region) gets a team of one, which
    /// then runs every w itself: each w runs exactly once either way.
    static func team(_ workers: Int, _ run: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(run) { run in
            var region = Region(workers: workers, run: run)
            withUnsafeMutablePointer(to: &region) { p in
                GOMP_parallel({ raw in
                    let r = raw!.assumingMemoryBound(to: Region.self).pointee
                    let size = Int(omp_get_num_threads())
                    var w = Int(omp_get_thread_num())
                    while w < r.workers {
                        r.run(w)
                        w += size
                    }
                }, p, UInt32(workers), 0)
            }
        }
    }

    private struct Region {
        let workers: Int
        let run: @Sendable (Int) -> Void
    }

    /// Gives the calling thread's later OpenMP regions (oneDNN's GEMMs) the
    /// thread count, unless it is inside a region already. Cheap: two reads.
    @inline(__always)
    public static func pinTeamSize() {
        let n = Int32(threadCount)
        if omp_in_parallel() == 0 && omp_get_max_threads() != n { omp_set_num_threads(n) }
    }
}

/// A pointer that may cross into parallel workers that write disjoint parts.
/// Sendable: only by contract: workers write disjoint elements, and the caller keeps the memory alive until the parallel region returns.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// A read-only pointer that may cross into parallel workers, so shared inputs
/// need no cast to mutable. Sendable: only by contract: nothing writes the
/// memory while workers read it, and the caller keeps it alive until the
/// parallel region returns.
public struct SharedReadPointer<T>: @unchecked Sendable {
    public let base: UnsafePointer<T>
    public init(_ base: UnsafePointer<T>) { self.base = base }
}

extension Parallel {
    /// `body(i)` for every i, in parallel, results in index order; the error
    /// of the lowest failing index is rethrown (after all have run).
    public static func map<T, E: Error>(_ count: Int, _ body: @Sendable (Int) throws(E) -> T) throws(E) -> [T] {
        var results = [Result<T, E>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buf in
            let out = SharedPointer(buf.baseAddress!)
            forEach(count) { i in
                do throws(E) { out.base[i] = .success(try body(i)) } catch { out.base[i] = .failure(error) }
            }
        }
        var out: [T] = []
        out.reserveCapacity(count)
        for r in results { out.append(try r!.get()) }
        return out
    }
}

extension Parallel {
    /// How many contiguous chunks forChunks splits `count` items into.
    public static func chunkCount(_ count: Int) -> Int { max(1, min(threadCount, count)) }

    /// `body(chunk, range)` for contiguous ranges covering 0..<count, one per
    /// worker (chunk < chunkCount(count)): for loops that keep per-worker
    /// partial sums.
    public static func forChunks(_ count: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
        let workers = chunkCount(count)
        if workers == 1 {
            body(0, 0..<count)
            return
        }
        team(workers) { w in body(w, (count * w / workers)..<(count * (w + 1) / workers)) }
    }
}
