import Numerics
import Pipeline
import Pretraining

/// Probe's peak memory, estimated before any feature is extracted. The
/// patches are read from the shards a batch at a time, so what grows with
/// the data is one subject at a time:
/// - an encoder: its features of every extracted image, the probes' rows
///   gathered from them, then per label fraction a standardised copy of
///   those rows and the linear probe's fit/held-out split, and the solver;
/// - raw pixels: the probes' rows (pooled to probe.pixel_dims, sampled to
///   probe.pixel_limit_mb), the same copies and the solver.
struct ProbeMemoryEstimate {
    let features: Double, pixels: Double, extraction: Double
    var total: Double { max(features, pixels) + extraction + MachineMemory.overhead }

    /// `images`: train plus val images whose features are extracted; `probed`:
    /// the probes' train and evaluation rows; `pixelDim`: values per image of
    /// the pixel baseline (after pooling).
    init(shape: JEPAShape, featureDim: Int, pixelDim: Int, images: Int, probed: Int, classes: Int,
         settings: ProbeInputs, batchSize: Int) {
        let f = 4.0, tokens = Double(shape.numPatches), c = shape.encoder
        features = f * Double(featureDim) * Double(images + 3 * probed)
            + LogisticRegression.solverBytes(features: featureDim, classes: classes)
        let pixelRows = min(f * Double(pixelDim) * Double(probed), Double(settings.pixels.limitBytes))
        pixels = settings.baselines.chosen.contains(.pixels)
            ? 3 * pixelRows + LogisticRegression.solverBytes(features: pixelDim, classes: classes) : 0
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
