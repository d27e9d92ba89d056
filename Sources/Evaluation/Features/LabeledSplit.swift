import Foundation
import Shards
import Threads

/// One split of a Prepare artifact in memory: uint8 patches
/// [count, numPatches, patchDim] and labels, with the file each sample came
/// from so errors can name it.
/// Sendable: every stored property is a `let` of a value type, fixed by init.
public final class LabeledSplit: @unchecked Sendable {
    public let name: String
    public let attributes: ShardAttributes
    public let count: Int
    public let patches: [UInt8]
    public let labels: [Int32]
    /// (first sample index, shard path) per shard.
    public let shards: [(start: Int, path: String)]

    public init(name: String, shardPaths: [String]) throws {
        guard !shardPaths.isEmpty else { throw ShardError("no \(name) shards") }
        var all: [UInt8] = [], labels: [Int32] = []
        var attrs: ShardAttributes? = nil
        var spans: [(Int, String)] = []
        for path in shardPaths {
            let r = try ShardReader(path: path)
            if let a = attrs, a.numPatches != r.attributes.numPatches || a.patchDim != r.attributes.patchDim {
                throw ShardError("\(path): patch layout differs from \(shardPaths[0])")
            }
            attrs = attrs ?? r.attributes
            spans.append((labels.count, path))
            all += try r.readPatches(start: 0, count: r.count)
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
    }

    /// Samples `rows` of `split`, in that order (the learning curve's few
    /// thousand images without the rest of train).
    public init(_ split: LabeledSplit, rows: [Int], name: String) {
        let sample = split.attributes.numPatches * split.attributes.patchDim
        var patches = [UInt8](repeating: 0, count: rows.count * sample)
        patches.withUnsafeMutableBufferPointer { dst in
            split.patches.withUnsafeBufferPointer { src in
                for (i, r) in rows.enumerated() {
                    (dst.baseAddress! + i * sample).update(from: src.baseAddress! + r * sample, count: sample)
                }
            }
        }
        self.name = name
        attributes = split.attributes
        count = rows.count
        self.patches = patches
        labels = rows.map { split.labels[$0] }
        shards = []
    }

    /// The shard that holds sample `index`.
    public func file(of index: Int) -> String { Self.file(of: index, in: shards) }

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
    public func normalized(_ indices: [Int], into out: UnsafeMutablePointer<Float>) {
        let a = attributes, sample = a.numPatches * a.patchDim, pp = a.patchSize * a.patchSize
        let scale = (0..<a.patchDim).map { Float(1 / (255 * a.std[$0 / pp])) }
        let shift = (0..<a.patchDim).map { Float(-a.mean[$0 / pp] / a.std[$0 / pp]) }
        let o = SharedPointer(out)
        patches.withUnsafeBufferPointer { buffer in
            let src = SharedReadPointer(buffer.baseAddress!)
            Parallel.forEach(indices.count) { i in
                let s = src.base + indices[i] * sample, d = o.base + i * sample
                for k in 0..<sample { d[k] = Float(s[k]) * scale[k % a.patchDim] + shift[k % a.patchDim] }
            }
        }
    }
}
