import Foundation
import Numerics
import Pipeline
import Threads

/// What the probes see of an image.
/// Which features of a frozen encoder (`probe.features`): the config's
/// type, so the choice has one definition.
public typealias FeatureKind = FeatureSettings.Kind

/// Frozen-encoder and raw-pixel features of a labeled split, in batches.
public enum FeatureExtractor {
    public static func dimension(of kind: FeatureKind, embed: Int) -> Int { kind == .last ? embed : 4 * embed }

    /// Features [indices.count, dimension] of the full images (every patch).
    public static func encoderFeatures(_ encoder: VisionTransformer, kind: FeatureKind, split: LabeledSplit,
                                       batchSize: Int, progress: Pipeline.Progress?) throws -> [Float] {
        let shape = encoder.shape, n = shape.numPatches, e = shape.encoder.embedDim, depth = shape.encoder.depth
        let dim = dimension(of: kind, embed: e)
        precondition(kind == .last || depth >= 4, "last4 needs at least 4 blocks")
        var out = [Float](repeating: 0, count: split.count * dim)
        // Shapes: B images of a batch, N patches, D = patch dim, E = width.
        let input = FloatBuffer()   // (B, N, D) normalised patches
        let normed = FloatBuffer()  // (B, N, E) one block's output, normalised (last4)
        let mean = FloatBuffer()    // (B, N)
        let rstd = FloatBuffer()    // (B, N)
        let w = encoder.params.value(encoder.params.entry("norm.weight")!.offset)
        let b = encoder.params.value(encoder.params.entry("norm.bias")!.offset)
        var start = 0
        while start < split.count {
            let count = min(batchSize, split.count - start)
            let x = input.reserve(count * n * shape.patchDim)
            try split.normalized(Array(start..<(start + count)), into: x)
            let last = encoder.forward(patches: x, batch: count, indices: nil, count: n, training: false)
            out.withUnsafeMutableBufferPointer { o in
                let dst = o.baseAddress! + start * dim
                switch kind {
                case .last:
                    pool(last, batch: count, tokens: n, width: e, into: dst, stride: dim)
                case .last4:
                    let y = normed.reserve(count * n * e)
                    for (j, l) in ((depth - 4)..<depth).enumerated() {
                        LayerNorm.forward(encoder.blockOutput(l), rows: count * n, width: e, weight: w, bias: b,
                                          mean: mean.reserve(count * n), rstd: rstd.reserve(count * n), into: y)
                        pool(y, batch: count, tokens: n, width: e, into: dst + j * e, stride: dim)
                    }
                }
            }
            start += count
            progress?.advance(by: count)
        }
        return out
    }

    /// Mean over tokens per sample: rows [batch·tokens, width] -> [batch, width] at `stride`.
    static func pool(_ x: UnsafePointer<Float>, batch: Int, tokens: Int, width: Int,
                     into out: UnsafeMutablePointer<Float>, stride: Int) {
        let o = SharedPointer(out), src = SharedReadPointer(x)
        Parallel.forEach(batch) { s in
            var acc = [Double](repeating: 0, count: width)
            for t in 0..<tokens {
                let row = src.base + (s * tokens + t) * width
                for j in 0..<width { acc[j] += Double(row[j]) }
            }
            let dst = o.base + s * stride
            for j in 0..<width { dst[j] = Float(acc[j] / Double(tokens)) }
        }
    }
}
