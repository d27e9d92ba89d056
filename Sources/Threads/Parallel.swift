import Dispatch
import Foundation

/// Work split over the cores. `IJEPA_THREADS` caps the thread count (make -j
/// sweeps set it so parallel variants do not oversubscribe the machine).
public enum Parallel {
    /// Read once: hot loops ask for it, and reading the environment allocates.
    public static let threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["IJEPA_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Calls `body(i)` for every i in 0..<count, spread over the threads in
    /// contiguous ranges. The body must only touch state disjoint per index.
    public static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(threadCount, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            for i in lo..<hi { body(i) }
        }
    }
}

/// A pointer that may cross into parallel workers that write disjoint parts.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

extension Parallel {
    /// `body(i)` for every i, in parallel, results in index order; the error
    /// of the lowest failing index is rethrown (after all have run).
    public static func map<T>(_ count: Int, _ body: @Sendable (Int) throws -> T) throws -> [T] {
        var results = [Result<T, Error>?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buf in
            let out = SharedPointer(buf.baseAddress!)
            forEach(count) { i in out.base[i] = Result { try body(i) } }
        }
        return try results.map { try $0!.get() }
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
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            body(w, (count * w / workers)..<(count * (w + 1) / workers))
        }
    }
}
