import Evaluation
import Foundation
import Pipeline
import Random

/// The raw-pixel baseline: normalised pixels of the probe's train and
/// evaluation rows, read from the shards (cheaper than a cache 4x their
/// size), average-pooled patch by patch when an image has more values than
/// probe.pixel_dims. When their float32 values exceed probe.pixel_limit_mb,
/// a class-stratified sample of each, sized to fit. The report notes both.
struct PixelBaselineRun {
    let run: ProbeRun
    init(_ run: ProbeRun) { self.run = run }

    /// How the images are pooled to fit probe.pixel_dims.
    var pooling: PixelPooling {
        let a = run.data.train.attributes
        return PixelPooling.fitting(patches: a.numPatches, channels: a.channels, patchSize: a.patchSize,
                                    budget: run.settings.pixels.dims)
    }

    func metrics() throws -> SubjectMetrics {
        let data = run.data, pooling = self.pooling
        let t0 = Date()
        let dim = pooling.outputDim
        let rows = self.rows(dim: dim)
        let notes = [pooling.note, rows.note].compactMap { $0 }
        for note in notes { run.log.notice("\(note)") }
        let evalSplit = data.val ?? data.train
        let inputs = LabeledFeatures(train: try pixels(data.train, rows.train, pooling),
                                     trainLabels: rows.train.map { data.train.labels[$0] },
                                     eval: try pixels(evalSplit, rows.eval, pooling),
                                     evalLabels: rows.eval.map { evalSplit.labels[$0] }, dim: dim,
                                     images: rows.train.count + rows.eval.count, seconds: Date().timeIntervalSince(t0),
                                     artifacts: [])
        var metrics = try run.score(.pixels, inputs)
        metrics.note = notes.isEmpty ? nil : notes.joined(separator: " ")
        return metrics
    }

    /// The normalised (and pooled) pixels of `rows`: (rows.count, pooling.outputDim).
    /// Pooled images are normalised a chunk at a time, so the full-size
    /// pixels of every row are never held at once.
    func pixels(_ split: LabeledSplit, _ rows: [Int], _ pooling: PixelPooling) throws -> [Float] {
        try MachineMemory.reserve(4 * Double(rows.count * pooling.outputDim), for: "probe: raw pixels of \(split.name)",
                                  keys: "probe.pixel_dims or probe.pixel_limit_mb")
        var out = [Float](repeating: 0, count: rows.count * pooling.outputDim)
        if pooling.factor == 1 {
            try out.withUnsafeMutableBufferPointer { try split.normalized(rows, into: $0.baseAddress!) }
            return out
        }
        let chunk = 256, inDim = pooling.inputDim, outDim = pooling.outputDim
        var scratch = [Float](repeating: 0, count: min(chunk, rows.count) * inDim)  // (chunk, inputDim)
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let part = Array(rows[start..<min(start + chunk, rows.count)])
            try scratch.withUnsafeMutableBufferPointer { try split.normalized(part, into: $0.baseAddress!) }
            scratch.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { y in
                    for i in part.indices { pooling.pool(x.baseAddress! + i * inDim, into: y.baseAddress! + (start + i) * outDim) }
                }
            }
        }
        return out
    }

    /// The rows the pixel baseline uses: all of the probe's, or a
    /// class-stratified sample of its train rows and of its evaluation rows
    /// (the same share of each) whose float32 values (`dim` per image, after
    /// pooling) fit probe.pixel_limit_mb.
    func rows(dim: Int) -> (train: [Int], eval: [Int], note: String?) {
        let data = run.data, settings = run.settings
        let total = data.trainRows.count + data.evalRows.count, bytes = total * dim * 4
        let limit = settings.pixels.limitBytes
        guard bytes > limit else { return (data.trainRows, data.evalRows, nil) }
        let share = Double(limit / (dim * 4)) / Double(total)
        let evalLabels = (data.val ?? data.train).labels
        let train = LabelSampling.stratifiedSubset(data.trainRows, labels: data.train.labels, classes: data.classes,
                                                   count: max(data.classes, Int(Double(data.trainRows.count) * share)),
                                                   seed: SeedStream.pixelSample(settings.seed))
        let eval = LabelSampling.stratifiedSubset(data.evalRows, labels: evalLabels, classes: data.classes,
                                                  count: max(data.classes, Int(Double(data.evalRows.count) * share)),
                                                  seed: SeedStream.pixelSample(settings.seed) &+ 1)
        let note = String(format: "Raw pixels: a class-stratified sample of %d of the %d train images and %d of the %d evaluation images (probe.seed); all of them would take %.0f MiB as float32, more than probe.pixel_limit_mb (%g).",
                          train.count, data.trainRows.count, eval.count, data.evalRows.count,
                          Double(bytes) / 1_048_576, settings.pixels.limitMB)
        return (train.sorted(), eval.sorted(), note)
    }
}
