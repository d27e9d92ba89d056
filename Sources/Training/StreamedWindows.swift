import Foundation
import Random
import Shards

/// Where a streamed train split's samples live: the shards' HDF5 chunks in
/// sample order, and the window size the buffer allows.
public struct StreamLayout: Sendable {
    /// Samples per chunk, all shards' chunks in order.
    public let chunkSizes: [Int]
    /// The shard of each chunk and the chunk's first sample within it.
    let chunkShard: [Int], chunkOffset: [Int]
    /// The first global sample of each shard.
    let shardStarts: [Int]
    public var shardCount: Int { shardStarts.count }
    /// Samples per window: half the buffer (one window is consumed while
    /// the next is read), but at least the largest chunk.
    public let windowSamples: Int
    public let rank: Int, ranks: Int

    init(readers: [ShardReader], windowSamples: Int, rank: Int, ranks: Int) {
        var sizes: [Int] = [], shard: [Int] = [], offset: [Int] = [], starts: [Int] = []
        var total = 0
        for (s, r) in readers.enumerated() {
            starts.append(total)
            for (k, n) in r.chunkSizes.enumerated() {
                sizes.append(n)
                shard.append(s)
                offset.append(k * r.chunkRows)
            }
            total += r.count
        }
        chunkSizes = sizes
        chunkShard = shard
        chunkOffset = offset
        shardStarts = starts
        self.windowSamples = max(windowSamples, sizes.max() ?? 1)
        self.rank = rank
        self.ranks = ranks
    }

    /// This rank's order of epoch `epoch`.
    public func windows(seed: UInt64, epoch: Int) -> ShuffleWindows {
        ShuffleWindows(chunkSizes: chunkSizes, windowSamples: windowSamples, seed: seed, epoch: epoch, rank: rank,
                       ranks: ranks)
    }

    /// The shard holding global sample `index`, and the sample's row in it.
    func locate(_ index: Int) -> (shard: Int, row: Int) {
        let s = shardStarts.segment(containing: index)
        return (s, index - shardStarts[s])
    }
}

/// The windows of a streamed epoch that the current batch reaches, read
/// from the shards when first needed and dropped once a batch has moved
/// past them. Memory: the windows one batch spans (two at a window's end),
/// each at most `windowSamples` samples, in byte buffers allocated once and
/// reused (fresh arrays per window fragmented the heap: 1.75x the buffer).
/// Sendable: the mutable state is only touched under `lock`.
final class WindowCache: @unchecked Sendable {
    private let layout: StreamLayout
    private let readers: [ShardReader]
    private let sampleBytes: Int
    private let seed: UInt64
    private let lock = NSLock()
    private var plan: (epoch: Int, windows: ShuffleWindows)? = nil
    /// Byte buffers of windowSamples samples each, and whether a loaded window holds each.
    private var slots: [UnsafeMutableRawBufferPointer] = []
    private var inUse: [Bool] = []
    /// Per loaded window: its slot and the byte offset of each of its global sample indices.
    private var loaded: [Int: (slot: Int, offsets: [Int: Int])] = [:]

    init(layout: StreamLayout, readers: [ShardReader], sampleBytes: Int, seed: UInt64) {
        self.layout = layout
        self.readers = readers
        self.sampleBytes = sampleBytes
        self.seed = seed
    }

    deinit { for s in slots { s.deallocate() } }

    /// `body(j, sample)` for the samples at `positions` of epoch `epoch`'s
    /// order, j counting from 0.
    func read(epoch: Int, positions: Range<Int>, _ body: (Int, UnsafePointer<UInt8>) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        if plan?.epoch != epoch {
            plan = (epoch, layout.windows(seed: seed, epoch: epoch))
            loaded = [:]
            inUse = inUse.map { _ in false }
        }
        let p = plan!.windows
        precondition(positions.upperBound <= p.count, "position past the rank's epoch")
        let first = p.window(at: positions.lowerBound), last = p.window(at: positions.upperBound - 1)
        for (w, entry) in loaded where w < first || w > last {
            inUse[entry.slot] = false
            loaded[w] = nil
        }
        for w in first...last where loaded[w] == nil { loaded[w] = try load(p, w) }
        var w = first
        for (j, position) in positions.enumerated() {
            while w < last && p.starts[w + 1] <= position { w += 1 }
            let entry = loaded[w]!, index = p.windows[w][position - p.starts[w]]
            body(j, UnsafePointer(slots[entry.slot].baseAddress!.assumingMemoryBound(to: UInt8.self)) + entry.offsets[index]!)
        }
    }

    /// Reads window `w`'s chunks, each a contiguous range of a shard, into a free slot.
    private func load(_ p: ShuffleWindows, _ w: Int) throws -> (slot: Int, offsets: [Int: Int]) {
        let slot: Int
        if let free = inUse.firstIndex(of: false) {
            slot = free
        } else {
            slots.append(.allocate(byteCount: layout.windowSamples * sampleBytes, alignment: 64))
            inUse.append(false)
            slot = slots.count - 1
        }
        inUse[slot] = true
        var offsets: [Int: Int] = [:]
        offsets.reserveCapacity(p.windows[w].count)
        var at = 0
        for c in p.chunks[w] {
            let shard = layout.chunkShard[c], row = layout.chunkOffset[c], n = layout.chunkSizes[c]
            precondition(at + n * sampleBytes <= slots[slot].count, "a window larger than windowSamples")
            try readers[shard].readPatches(start: row, count: n, into: slots[slot].baseAddress! + at)
            let global = layout.shardStarts[shard] + row
            for k in 0..<n { offsets[global + k] = at + k * sampleBytes }
            at += n * sampleBytes
        }
        return (slot, offsets)
    }

    /// One sample read on its own (figures; not the training path).
    func sample(_ index: Int) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let (shard, row) = layout.locate(index)
        return try readers[shard].readPatches(start: row, count: 1)
    }
}
