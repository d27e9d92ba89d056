import Foundation
import Numerics
import SafeTensors
import Training

/// Weights from a safetensors file into a model built from the config:
/// our export, or an official checkpoint converted by
/// tools/interop/ijepa_checkpoint.py. Every tensor is checked by name and
/// shape against the model, none may be missing or left over, and the
/// fixed positions must be this grid's sin-cos positions; the first
/// mismatch is a one-line error naming the file and the tensor.
public enum WeightsImport {
    static let format = "ijepa-swift"

    /// What a file gave a trainer.
    public enum Loaded: Sendable, Equatable {
        /// Encoder, predictor and target encoder (a training-state file).
        case allModules
        /// One encoder, loaded as both the context and the target encoder;
        /// the predictor keeps its initialisation.
        case encoderOnly
    }

    /// Loads `path` into `trainer`: a training-state file sets all three
    /// modules (not the optimizer: the run starts from these weights); a
    /// single encoder sets the context and the target encoder.
    public static func load(_ path: String, into trainer: JEPATrainer) throws -> Loaded {
        let file = try SafeTensorsFile.read(path: path)
        if file.names.contains(where: { $0.hasPrefix("target_encoder.") }) {
            try check(file, expected: modules(trainer))
            try fill(trainer.encoder.params, from: file, prefix: "encoder.")
            try fill(trainer.predictor.params, from: file, prefix: "predictor.")
            try fill(trainer.targetEncoder.params, from: file, prefix: "target_encoder.")
            return .allModules
        }
        try check(file, expected: expected(trainer.encoder, prefix: ""))
        try fill(trainer.encoder.params, from: file, prefix: "")
        trainer.targetEncoder.params.copyValues(from: trainer.encoder.params)
        return .encoderOnly
    }

    /// The target encoder of `path` (a training-state file's, or a single
    /// encoder) into `encoder`.
    public static func loadEncoder(_ path: String, into encoder: VisionTransformer) throws {
        let file = try SafeTensorsFile.read(path: path)
        let prefix = file.names.contains(where: { $0.hasPrefix("target_encoder.") }) ? "target_encoder." : ""
        try check(file, expected: expected(encoder, prefix: prefix), only: prefix.isEmpty ? nil : prefix)
        try fill(encoder.params, from: file, prefix: prefix)
    }

    /// (name, shape, the values when they are fixed positions) of a module's tensors.
    static func expected(_ tensors: [OfficialLayout.Tensor], prefix: String) -> [(String, [Int], [Float]?)] {
        tensors.map { x in
            let fixed = x.name == "pos_embed" || x.name == "predictor_pos_embed"
            return (prefix + x.name, x.shape, fixed ? x.values : nil)
        }
    }

    static func expected(_ encoder: VisionTransformer, prefix: String) -> [(String, [Int], [Float]?)] {
        expected(OfficialLayout.encoder(encoder), prefix: prefix)
    }

    /// Every tensor a training-state file holds for this trainer: three
    /// modules and the AdamW moments.
    static func modules(_ t: JEPATrainer) -> [(String, [Int], [Float]?)] {
        var out = expected(t.encoder, prefix: "encoder.")
            + expected(OfficialLayout.predictor(t.predictor), prefix: "predictor.")
            + expected(t.targetEncoder, prefix: "target_encoder.")
        for (module, opt) in [("encoder", t.encoderOptimizer), ("predictor", t.predictorOptimizer)] {
            for moment in ["exp_avg", "exp_avg_sq"] {
                out += opt.store.entries.map { ("opt.\(module).\(moment).\($0.name)", $0.shape, nil) }
            }
        }
        return out
    }

    /// Names and shapes as expected, nothing left over (of `only`'s prefix,
    /// when given), fixed positions equal to ours.
    static func check(_ file: SafeTensorsFile, expected: [(String, [Int], [Float]?)], only: String? = nil) throws {
        let path = file.path
        var wanted = Set<String>()
        for (name, shape, fixed) in expected {
            guard wanted.insert(name).inserted else { continue }
            guard file.names.contains(name) else {
                throw WeightsError("\(path): lacks \(name), which the config's model has (meta.model_name, embed_dim, depth, pred_emb_dim, pred_depth, mask.patch_size, data.crop_size)")
            }
            let s = try file.shape(name)
            guard s == shape else {
                throw WeightsError("\(path): \(name) has shape \(s), the config's model expects \(shape)")
            }
            if let fixed {
                let v = try file.floats(name)
                let worst = zip(v, fixed).map { abs($0 - $1) }.max() ?? 0
                guard worst <= 1e-4 else {
                    throw WeightsError("\(path): \(name) differs from the 2-D sin-cos positions of this patch grid by up to \(worst) (made for another image or patch size?)")
                }
            }
        }
        for name in file.names where only.map({ name.hasPrefix($0) }) ?? true {
            guard wanted.contains(name) else {
                throw WeightsError("\(path): \(name) is not a tensor of the config's model")
            }
        }
    }

    /// Copies `prefix + name` of every parameter of `store` from the file.
    static func fill(_ store: ParameterStore, from file: SafeTensorsFile, prefix: String) throws {
        for e in store.entries {
            let v = try file.floats(prefix + e.name)
            store.value(e.offset).update(from: v, count: v.count)
        }
    }
}

public struct WeightsError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
