import Foundation
import Numerics
import Pipeline
import Shards

/// Pretrain's peak memory, estimated from the config and the prepared data
/// before anything is loaded, so a run that cannot fit says so instead of
/// meeting the kernel's OOM killer. An upper-side estimate: every
/// activation buffer at the full token count.
public struct MemoryEstimate {
    let data: Double, curve: Double, model: Double, activations: Double
    let curveHoldsImages: Bool
    let models: Int
    var total: Double { data + curve + model + activations + MachineMemory.overhead }

    /// `trainBytes`: the train images held at once (the whole split, or at
    /// most data.buffer_mb when it is streamed); `curveImages`: the learning
    /// curve's query and bank images (0 when it is off), whose features it
    /// holds, and the images too (`curveImageBytes` each) when the train split
    /// is held in memory (else they are read from the shards: 0); `models`:
    /// models trained side by side (`make bench-bf16`: 2), each with its
    /// weights, optimizer and activations.
    init(shape: JEPAShape, trainBytes: Int, batch b: Int, targetBlocks m: Int, curveImages: Int = 0,
         curveImageBytes: Int = 0, models: Int = 1) {
        self.models = models
        let tokens = Double(shape.numPatches), f = 4.0
        data = Double(trainBytes)
        curve = Double(curveImages) * (f * Double(shape.encoder.embedDim) + Double(curveImageBytes))
        curveHoldsImages = curveImageBytes > 0
        // Values and gradients of the encoder, target encoder and predictor;
        // AdamW's two moments of the encoder and the predictor.
        let pe = Self.parameters(shape.encoder, input: shape.patchDim)
        let pp = Self.parameters(shape.predictor, input: shape.encoder.embedDim) + Double(shape.encoder.embedDim) * Double(shape.predictorDim + 1)
        model = Double(models) * f * (6 * pe + 4 * pp)
        // Kept per block for the backward: (rows, 8C + 2H) and the (heads, T, T) softmax.
        func blocks(_ c: ViTConfig, rows: Double, sequences: Double, layers: Int) -> Double {
            f * Double(layers) * (rows * Double(8 * c.embedDim + 2 * c.hiddenDim) + sequences * Double(c.numHeads) * tokens * tokens)
        }
        let bs = Double(b)
        let perModel = blocks(shape.encoder, rows: bs * tokens, sequences: bs, layers: shape.encoder.depth)  // context
            + blocks(shape.encoder, rows: bs * tokens, sequences: bs, layers: 1)  // target: one block's buffers
            + blocks(shape.predictor, rows: Double(m) * bs * tokens, sequences: Double(m) * bs, layers: shape.predictorDepth)
        activations = Double(models) * perModel
            + f * 2 * bs * tokens * Double(shape.patchDim)  // the batch and the one prefetched
    }

    /// Weights of a ViT of `c` over inputs of width `input` (patch embedding or predictor_embed).
    public static func parameters(_ c: ViTConfig, input: Int) -> Double {
        let e = Double(c.embedDim), h = Double(c.hiddenDim)
        return Double(input) * e + e + Double(c.depth) * (4 * e * e + 2 * e * h + 9 * e + h) + 2 * e
    }

    var summary: String {
        let gib = MachineMemory.gib
        let curveText = curve > 0 ? ", learning-curve \(curveHoldsImages ? "images and " : "")features \(gib(curve))" : ""
        let of = models > 1 ? " of \(models) models" : ""
        return "about \(gib(total)) (train images \(gib(data))\(curveText), weights and optimizer\(of) \(gib(model)), activations\(of) \(gib(activations)))"
    }
}
