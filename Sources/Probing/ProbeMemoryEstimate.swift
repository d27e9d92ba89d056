import Numerics
import Pipeline
import Pretraining

/// Probe's peak memory, estimated before any feature is extracted: the
/// patches are read from the shards a batch at a time, so what grows with
/// the data is one subject's features (held, and gathered once more for the
/// probes' rows) and the raw-pixel baseline (bounded by probe.pixel_limit_mb).
struct ProbeMemoryEstimate {
    let features: Double, pixels: Double, extraction: Double
    var total: Double { max(features, pixels) + extraction + MachineMemory.overhead }

    /// `images`: train plus val images whose features are extracted; `probed`:
    /// the probes' train and evaluation rows.
    init(shape: JEPAShape, featureDim: Int, images: Int, probed: Int, settings: ProbeSettings, batchSize: Int) {
        let f = 4.0, tokens = Double(shape.numPatches), c = shape.encoder
        features = f * Double(featureDim) * Double(images + probed)
        let pixelBytes = f * Double(shape.numPatches * shape.patchDim) * Double(probed)
        pixels = settings.baselines.chosen.contains(.pixels) ? min(pixelBytes, Double(settings.pixels.limitBytes)) : 0
        // One batch through the encoder (inference keeps one block's buffers) and its input.
        extraction = f * Double(batchSize) * tokens
            * (Double(8 * c.embedDim + 2 * c.hiddenDim + shape.patchDim) + Double(c.numHeads) * tokens)
            + f * 2 * MemoryEstimate.parameters(c, input: shape.patchDim)
    }

    var summary: String {
        let gib = MachineMemory.gib
        return "about \(gib(total)) (features \(gib(features)), raw pixels \(gib(pixels)), encoder and a batch \(gib(extraction)))"
    }
}
