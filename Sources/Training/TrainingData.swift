import Foundation
import Imaging
import Numerics
import Shards
import Threads
import Random

/// The train split of a Prepare artifact as normalised Float32 batches
/// [batch, numPatches, patchDim] in a seeded per-epoch order (drop_last),
/// with the official augmentation (`Augmentation`), seeded by (seed, step,
/// sample) so a resumed run sees exactly the same batches.
///
/// A split that fits in `bufferBytes` (data.buffer_mb) is held in memory as
/// uint8 patches and shuffled whole each epoch. A larger one is streamed from
/// its shards: `ShuffleWindows` orders its chunks and shuffles them a window
/// (half the buffer) at a time, and at most the windows one batch spans are
/// in memory; under MPI each rank streams its own disjoint chunks.
/// Sendable: every stored property is a `let` fixed by init; the streamed
/// windows are behind a lock; batches are written into caller-owned buffers.
public final class TrainingData: @unchecked Sendable {
    public let count: Int
    public let attributes: ShardAttributes
    /// The whole split; empty when streamed.
    let patches: [UInt8]
    public let batchSize: Int
    public let seed: UInt64
    public let augmentation: Augmentation
    /// Per element of a flattened patch: (value/255 − mean)/std as a·value + b.
    let scale: [Float], shift: [Float]
    public let itersPerEpoch: Int
    /// How the split is streamed; nil when it is held in memory.
    public let stream: StreamLayout?
    private let windows: WindowCache?

    /// Bytes of one sample's patches.
    public var sampleBytes: Int { attributes.numPatches * attributes.patchDim }

    /// `rank` of `ranks` matters only when the split is streamed: the rank
    /// reads its own chunks and fills its slice of every batch from them.
    public init(shardPaths: [String], batchSize: Int, seed: UInt64, augmentation: Augmentation,
                bufferBytes: Int = .max, rank: Int = 0, ranks: Int = 1) throws {
        precondition(!shardPaths.isEmpty && ranks >= 1 && batchSize % ranks == 0)
        let readers = try shardPaths.map { try ShardReader(path: $0) }
        let a = readers[0].attributes
        for r in readers where a.numPatches != r.attributes.numPatches || a.patchDim != r.attributes.patchDim {
            throw ShardError("\(r.path): patch layout differs from \(shardPaths[0])")
        }
        guard a.mean.count == a.channels, a.std.count == a.channels, a.std.allSatisfy({ $0 > 0 }) else {
            throw ShardError("\(shardPaths[0]): missing or invalid mean/std attributes")
        }
        let n = readers.reduce(0) { $0 + $1.count }, sample = a.numPatches * a.patchDim
        if n * sample <= bufferBytes {
            var all: [UInt8] = []
            all.reserveCapacity(n * sample)  // no doubling while it grows
            for r in readers { all += try r.readPatches(start: 0, count: r.count) }
            patches = all
            stream = nil
            windows = nil
            itersPerEpoch = n / batchSize
        } else {
            let layout = StreamLayout(readers: readers, windowSamples: max(1, bufferBytes / 2 / sample), rank: rank,
                                      ranks: ranks)
            patches = []
            stream = layout
            windows = WindowCache(layout: layout, readers: readers, sampleBytes: sample, seed: seed)
            itersPerEpoch = ShuffleWindows.guaranteedSamples(chunkSizes: layout.chunkSizes, ranks: ranks) / (batchSize / ranks)
        }
        guard itersPerEpoch >= 1 else {
            throw ShardError("\(shardPaths[0]): \(n) train images, fewer than one batch of \(batchSize) (data.batch_size)"
                + (ranks > 1 && stream != nil ? " per rank's share of the chunks" : ""))
        }
        count = n
        attributes = a
        self.batchSize = batchSize
        self.seed = seed
        self.augmentation = augmentation
        let pp = a.patchSize * a.patchSize
        scale = (0..<a.patchDim).map { Float(1 / (255 * a.std[$0 / pp])) }
        shift = (0..<a.patchDim).map { Float(-a.mean[$0 / pp] / a.std[$0 / pp]) }
    }

    /// The sample order of an epoch: a seeded Fisher-Yates shuffle of the
    /// split, or this rank's streamed order (`ShuffleWindows`).
    public func order(epoch: Int) -> [Int] {
        if let stream { return stream.windows(seed: seed, epoch: epoch).order }
        var rng = SeededGenerator(seed: SeedStream.dataOrder(seed, epoch: epoch))
        var idx = Array(0..<count)
        rng.shuffle(&idx)
        return idx
    }

    /// Fills `out` with the batch of global step `step` (epoch = step / ipe).
    /// On the calling thread alone: Pretrain runs it on its prefetch thread
    /// during a step, and a second OpenMP team there would fight the step's
    /// team for the cores (40 Pretrain steps of the default pipeline: 42.6 s
    /// with a parallel batch, 40.7 s without); a batch takes a few ms
    /// against a step of about a second.
    /// `order`: `order(epoch:)` of the step's epoch (a streamed split keeps
    /// its own copy). `samples`: the part of the batch to fill (a
    /// data-parallel rank's slice; `out` then holds only those); augmentation
    /// is seeded by the position in the whole batch. In memory, the slices
    /// of all ranks put together equal the one-process batch; streamed, each
    /// rank's slice comes from its own chunks.
    public func batch(step: Int, order: [Int], samples: Range<Int>? = nil, into out: UnsafeMutablePointer<Float>) throws {
        let ipe = itersPerEpoch, within = step % ipe
        let sample = sampleBytes, d = attributes.patchDim
        let range = samples ?? 0..<batchSize
        precondition(range.lowerBound >= 0 && range.upperBound <= batchSize)
        func fill(_ i: Int, _ src: UnsafePointer<UInt8>) {
            var raw = Array(UnsafeBufferPointer(start: src, count: sample))
            augment(&raw, step: step, sample: i)
            let dst = out + (i - range.lowerBound) * sample
            for k in 0..<sample { dst[k] = Float(raw[k]) * scale[k % d] + shift[k % d] }
        }
        if let windows {
            let first = within * range.count
            try windows.read(epoch: step / ipe, positions: first..<(first + range.count)) { j, src in
                fill(range.lowerBound + j, src)
            }
            return
        }
        patches.withUnsafeBufferPointer { src in
            for i in range { fill(i, src.baseAddress! + order[within * batchSize + i] * sample) }
        }
    }

    /// Random resized crop (torchvision's box sampling: area in crop_scale,
    /// log-uniform ratio in [3/4, 4/3], 10 tries, then the centre crop), a
    /// horizontal flip, colour distortion and Gaussian blur, on the image
    /// reassembled from its patches. The transforms draw from one stream in
    /// this order and one that is off draws nothing, so turning a later one
    /// on leaves the earlier ones' draws, and configs without the later
    /// ones see the images they always saw.
    func augment(_ patch: inout [UInt8], step: Int, sample: Int) {
        let a = attributes, aug = augmentation
        guard aug.changesImages else { return }
        var rng = SeededGenerator(seed: SeedStream.augmentation(seed, step: step, sample: sample))
        var image = Self.unpatchify(patch, a)
        if aug.crops {
            let (left, top, w, h) = Self.cropBox(width: image.width, height: image.height, scale: aug.cropScale, rng: &rng)
            image = Resize.resizedCrop(image, left: left, top: top, width: w, height: h, to: a.imageSize)
        }
        if aug.horizontalFlip, rng.next() & 1 == 1 { image = Self.flipped(image) }
        if let s = aug.colorJitterStrength {
            image = ColorJitterParameters.draw(strength: s) { rng.uniform() }.apply(to: image)
        }
        if aug.gaussianBlur, let sigma = GaussianBlur.drawSigma(uniform: { rng.uniform() }) {
            image = GaussianBlur.blur(image, sigma: sigma)
        }
        patch.withUnsafeMutableBufferPointer { Patchify.extract(image, patch: a.patchSize, into: $0.baseAddress!) }
    }

    static func cropBox(width W: Int, height H: Int, scale: ClosedRange<Double>,
                        rng: inout SeededGenerator) -> (Int, Int, Int, Int) {
        let area = Double(W * H)
        let logLo = log(3.0 / 4), logHi = log(4.0 / 3)
        for _ in 0..<10 {
            let target = area * (scale.lowerBound + rng.uniform() * (scale.upperBound - scale.lowerBound))
            let ratio = exp(logLo + rng.uniform() * (logHi - logLo))
            let w = Int((target * ratio).squareRoot().rounded()), h = Int((target / ratio).squareRoot().rounded())
            if w > 0, h > 0, w <= W, h <= H {
                let top = Int(rng.next() % UInt64(H - h + 1)), left = Int(rng.next() % UInt64(W - w + 1))
                return (left, top, w, h)
            }
        }
        // Fallback: the whole image (the ratio of a square grid is in range).
        return (0, 0, W, H)
    }

    /// Patches [numPatches, C·p·p] back to an HWC image.
    static func unpatchify(_ patch: [UInt8], _ a: ShardAttributes) -> Image {
        let s = a.imageSize, p = a.patchSize, c = a.channels, g = a.gridSize
        var px = [UInt8](repeating: 0, count: s * s * c)
        for pr in 0..<g { for pc in 0..<g { for ch in 0..<c { for y in 0..<p { for x in 0..<p {
            px[((pr * p + y) * s + pc * p + x) * c + ch] = patch[(pr * g + pc) * a.patchDim + ch * p * p + y * p + x]
        } } } } }
        return Image(width: s, height: s, channels: c, pixels: px)
    }

    static func flipped(_ image: Image) -> Image {
        var out = image
        let w = image.width, c = image.channels
        for y in 0..<image.height { for x in 0..<w { for ch in 0..<c {
            out.pixels[(y * w + x) * c + ch] = image.pixels[(y * w + (w - 1 - x)) * c + ch]
        } } }
        return out
    }
}

extension TrainingData {
    /// Sample `index` as stored (no augmentation), as an HWC image.
    public func image(at index: Int) throws -> Image {
        let sample = sampleBytes
        if let windows { return Self.unpatchify(try windows.sample(index), attributes) }
        return Self.unpatchify(Array(patches[(index * sample)..<((index + 1) * sample)]), attributes)
    }
}
