import Foundation
import SafeTensors
import Training

/// A trained model as safetensors under the official names: the target
/// encoder alone (what timm-style code and `VisionTransformer.load_state_dict`
/// take), or the whole training state (three modules and the AdamW moments)
/// that tools/interop/ijepa_checkpoint.py turns into the official
/// checkpoint layout.
public enum WeightsExport {
    /// What a file holds (its `content` metadata).
    public enum Content: String, Sendable {
        case targetEncoder = "target_encoder"
        case trainingState = "training_state"
    }

    /// `metadata` is added to the file's own (format, content).
    public static func write(_ trainer: JEPATrainer, content: Content, metadata: [String: String],
                             to path: String) throws {
        var tensors: [OfficialLayout.Tensor] = []
        switch content {
        case .targetEncoder:
            tensors = OfficialLayout.encoder(trainer.targetEncoder)
        case .trainingState:
            for (module, list) in [("encoder", OfficialLayout.encoder(trainer.encoder)),
                                   ("predictor", OfficialLayout.predictor(trainer.predictor)),
                                   ("target_encoder", OfficialLayout.encoder(trainer.targetEncoder))] {
                tensors += list.map { OfficialLayout.Tensor(name: "\(module).\($0.name)", shape: $0.shape, values: $0.values) }
            }
            for (module, opt) in [("encoder", trainer.encoderOptimizer), ("predictor", trainer.predictorOptimizer)] {
                for (moment, base) in [("exp_avg", opt.expAvg), ("exp_avg_sq", opt.expAvgSq)] {
                    for e in opt.store.entries {
                        let values = Array(UnsafeBufferPointer(start: base + e.offset, count: e.count))
                        tensors.append(OfficialLayout.Tensor(name: "opt.\(module).\(moment).\(e.name)", shape: e.shape,
                                                             values: values))
                    }
                }
            }
        }
        var meta = metadata
        meta["format"] = WeightsImport.format
        meta["content"] = content.rawValue
        if content == .trainingState { meta["adam_step"] = "\(trainer.encoderOptimizer.step)" }
        try SafeTensorsWriter.write(tensors.map { SafeTensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values) },
                                    metadata: meta, to: path)
    }
}
