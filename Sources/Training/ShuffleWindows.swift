import Random

/// The sample order of one epoch when the train split is streamed from its
/// shards instead of held in memory. A pure function of (seed, epoch,
/// window size, rank, ranks) and the shards' chunk layout, so a resumed run
/// recomputes the very order it was in, and nothing about it depends on
/// timing.
///
/// The epoch visits the shards' chunks (the HDF5 chunks Prepare wrote, about
/// 1 MiB each) in a seeded permutation; under MPI rank r takes every
/// ranks-th chunk of it, so the ranks read disjoint chunks. Consecutive
/// chunks of a rank form windows of at most `windowSamples` samples, and each
/// window's samples are shuffled together: WebDataset's and tf.data's
/// chunk shuffle plus shuffle buffer, with the buffer's mixing done a whole
/// window at a time so that any position in the epoch maps to one window
/// (what makes the order resumable without replaying the epoch).
public struct ShuffleWindows: Sendable {
    /// Global sample indices of each window, shuffled: the epoch's order is
    /// their concatenation.
    public let windows: [[Int]]
    /// The chunks (indices into the layout) each window reads, in order.
    public let chunks: [[Int]]
    /// Position in the epoch's order where each window starts.
    public let starts: [Int]

    /// `chunkSizes[c]` samples in chunk c; chunk c holds the global samples
    /// from the sum of the sizes before it.
    public init(chunkSizes: [Int], windowSamples: Int, seed: UInt64, epoch: Int, rank: Int = 0, ranks: Int = 1) {
        precondition(windowSamples >= 1 && ranks >= 1 && (0..<ranks).contains(rank))
        var firstSample = [Int](repeating: 0, count: chunkSizes.count)
        var total = 0
        for (c, n) in chunkSizes.enumerated() {
            firstSample[c] = total
            total += n
        }
        var rng = SeededGenerator(seed: SeedStream.streamChunks(seed, epoch: epoch))
        var perm = Array(chunkSizes.indices)
        rng.shuffle(&perm)
        let mine = stride(from: rank, to: perm.count, by: ranks).map { perm[$0] }

        var windows: [[Int]] = [], chunks: [[Int]] = [], starts: [Int] = []
        var current: [Int] = [], size = 0, position = 0
        func close() {
            guard !current.isEmpty else { return }
            var samples: [Int] = []
            samples.reserveCapacity(size)
            for c in current { samples += firstSample[c]..<(firstSample[c] + chunkSizes[c]) }
            var wrng = SeededGenerator(seed: SeedStream.streamWindow(seed, epoch: epoch, rank: rank, window: windows.count))
            wrng.shuffle(&samples)
            starts.append(position)
            position += samples.count
            windows.append(samples)
            chunks.append(current)
            current = []
            size = 0
        }
        for c in mine {
            // A chunk larger than a window is a window of its own.
            if size > 0, size + chunkSizes[c] > windowSamples { close() }
            current.append(c)
            size += chunkSizes[c]
        }
        close()
        self.windows = windows
        self.chunks = chunks
        self.starts = starts
    }

    /// Samples in this rank's epoch.
    public var count: Int { (starts.last ?? 0) + (windows.last?.count ?? 0) }

    /// The epoch's order: the windows one after another.
    public var order: [Int] { windows.flatMap { $0 } }

    /// The window that holds position `p` of the epoch's order.
    public func window(at p: Int) -> Int {
        precondition(p >= 0 && p < count)
        return starts.segment(containing: p)
    }

    /// A lower bound on any rank's samples per epoch, whatever the
    /// permutation: the fewest chunks a rank can get (ranks split them as
    /// evenly as a stride allows), all of them the smallest. Steps per epoch
    /// come from it, so every rank has its share of every step of every epoch.
    public static func guaranteedSamples(chunkSizes: [Int], ranks: Int) -> Int {
        let fewest = chunkSizes.count / ranks
        return chunkSizes.sorted().prefix(fewest).reduce(0, +)
    }
}

extension Array where Element == Int {
    /// For ascending segment starts (the first one 0): the segment that
    /// holds `p`, the last start not above it (binary search).
    func segment(containing p: Int) -> Int {
        var lo = 0, hi = count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if self[mid] <= p { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
