import Foundation
import Shards
import Threads

/// One split of a Prepare artifact: uint8 patches [count, numPatches,
/// patchDim] and labels, with the file each sample came from so errors can
/// name it. The patches are held in memory, or (`inMemory: false`) read
/// from the shards when asked for, so a split larger than memory can be
/// probed batch by batch.
/// Sendable: every stored property is a `let` fixed by init; shard reads are serialised by HDF5's lock.
public final class LabeledSplit: @unchecked Sendable {
    public let name: String
    public let attributes: ShardAttributes
    public let count: Int
    /// The patches; empty when they are read from the shards on demand.
    public let patches: [UInt8]
    public let labels: [Int32]
    /// (first sample index, shard path) per shard.
    public let shards: [(start: Int, path: String)]
    /// The open shards when the patches are read on demand, else empty.
    private let readers: [ShardReader]
    /// A view's split and its rows there (`init(_:rows:name:inMemory: false)`).
    private let view: (split: LabeledSplit, rows: [Int])?

    public var isInMemory: Bool { readers.isEmpty && view == nil }

    public init(name: String, shardPaths: [String], inMemory: Bool = true) throws {
        guard !shardPaths.isEmpty else { throw ShardError("no \(name) shards") }
        var all: [UInt8] = [], labels: [Int32] = []
        var attrs: ShardAttributes? = nil
        var spans: [(Int, String)] = []
        var readers: [ShardReader] = []
        for path in shardPaths {
            let r = try ShardReader(path: path)
            if let a = attrs, a.numPatches != r.attributes.numPatches || a.patchDim != r.attributes.patchDim {
                throw ShardError("\(path): patch layout differs from \(shardPaths[0])")
            }
            attrs = attrs ?? r.attributes
            spans.append((labels.count, path))
            if inMemory { all += try r.readPatches(start: 0, count: r.count) } else { readers.append(r) }
            labels += try r.readLabels()
        }
        let a = attrs!
        guard a.mean.count == a.channels, a.std.count == a.channels, a.std.allSatisfy({ $0 > 0 }) else {
            throw ShardError("\(shardPaths[0]): missing or invalid mean/std attributes")
        }
        let classes = max(a.classNames.count, 1)
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw ShardError("\(Self.file(of: bad, in: spans)): label \(labels[bad]) outside the \(classes) classes of the shard")
        }
        self.name = name
        attributes = a
        count = labels.count
        patches = all
        self.labels = labels
        shards = spans
        self.readers = readers
        view = nil
    }

    /// Samples `rows` of `split`, in that order: held in memory, or
    /// (`inMemory: false`, `split` read on demand) a view that reads them
    /// from `split`'s shards when asked for (the learning curve's few
    /// thousand images, 600 MB at 224 px, without holding them).
    public init(_ split: LabeledSplit, rows: [Int], name: String, inMemory: Bool = true) throws {
        self.name = name
        attributes = split.attributes
        count = rows.count
        labels = rows.map { split.labels[$0] }
        shards = []
        readers = []
        if inMemory || split.isInMemory {
            patches = try split.rawSamples(rows)
            view = nil
        } else {
            patches = []
            view = (split, rows)
        }
    }

    /// The stored bytes of samples `indices`, in that order [indices.count,
    /// numPatches·patchDim]. From the shards they are read in increasing
    /// order, a run of consecutive indices in one shard at a time, so each
    /// compressed chunk is inflated once (HDF5 caches the last one).
    public func rawSamples(_ indices: [Int]) throws -> [UInt8] {
        if let view { return try view.split.rawSamples(indices.map { view.rows[$0] }) }
        let sample = attributes.numPatches * attributes.patchDim
        var out = [UInt8](repeating: 0, count: indices.count * sample)
        try out.withUnsafeMutableBytes { dst in
            if isInMemory {
                patches.withUnsafeBytes { src in
                    for (i, r) in indices.enumerated() {
                        (dst.baseAddress! + i * sample).copyMemory(from: src.baseAddress! + r * sample, byteCount: sample)
                    }
                }
                return
            }
            let order = indices.indices.sorted { indices[$0] < indices[$1] }
            var run = [UInt8]()
            var k = 0
            while k < order.count {
                let first = indices[order[k]]
                let shard = shards.lastIndex(where: { $0.start <= first })!
                let end = shard + 1 < shards.count ? shards[shard + 1].start : count
                var n = 1
                while k + n < order.count, indices[order[k + n]] == first + n, first + n < end { n += 1 }
                if run.count < n * sample { run = [UInt8](repeating: 0, count: n * sample) }
                try run.withUnsafeMutableBytes {
                    try readers[shard].readPatches(start: first - shards[shard].start, count: n, into: $0.baseAddress!)
                }
                run.withUnsafeBytes { src in
                    for j in 0..<n {
                        (dst.baseAddress! + order[k + j] * sample).copyMemory(from: src.baseAddress! + j * sample,
                                                                               byteCount: sample)
                    }
                }
                k += n
            }
        }
        return out
    }

    /// The shard that holds sample `index`.
    public func file(of index: Int) -> String {
        if let view { return view.split.file(of: view.rows[index]) }
        return Self.file(of: index, in: shards)
    }

    static func file(of index: Int, in spans: [(start: Int, path: String)]) -> String {
        spans.last(where: { $0.start <= index })?.path ?? "?"
    }

    public var classCount: Int { attributes.classNames.count }

    /// Samples per class.
    public func classCounts() -> [Int] {
        var c = [Int](repeating: 0, count: classCount)
        for l in labels { c[Int(l)] += 1 }
        return c
    }

    /// Normalised float patches of samples `indices` into `out`
    /// [indices.count, numPatches, patchDim], with the train statistics.
    public func normalized(_ indices: [Int], into out: UnsafeMutablePointer<Float>) throws {
        let a = attributes, sample = a.numPatches * a.patchDim, pp = a.patchSize * a.patchSize
        let scale = (0..<a.patchDim).map { Float(1 / (255 * a.std[$0 / pp])) }
        let shift = (0..<a.patchDim).map { Float(-a.mean[$0 / pp] / a.std[$0 / pp]) }
        let o = SharedPointer(out)
        func convert(_ buffer: UnsafeBufferPointer<UInt8>, row: @escaping @Sendable (Int) -> Int) {
            let src = SharedReadPointer(buffer.baseAddress!)
            Parallel.forEach(indices.count) { i in
                let s = src.base + row(i) * sample, d = o.base + i * sample
                for k in 0..<sample { d[k] = Float(s[k]) * scale[k % a.patchDim] + shift[k % a.patchDim] }
            }
        }
        if isInMemory {
            let rows = indices
            patches.withUnsafeBufferPointer { convert($0) { rows[$0] } }
        } else {
            try rawSamples(indices).withUnsafeBufferPointer { convert($0) { $0 } }
        }
    }
}
