import Foundation
import Numerics
import Shards

/// Training state in HDF5 with PyTorch state_dict names and shapes:
/// `encoder/…`, `predictor/…`, `target_encoder/…`, AdamW moments under
/// `optimizer/<module>/exp_avg|exp_avg_sq/…` (once an update has made them
/// non-zero), and the step, epoch, config and the build that wrote it
/// as attributes. Written to a temporary file and renamed, so a checkpoint
/// on disk is always whole.
public enum Checkpoint {
    public struct Info: Sendable {
        public let step: Int
        public let epoch: Int
        public let config: String
        /// The program build that wrote it; nil for a checkpoint from before builds were recorded.
        public let build: String?
    }

    public static func save(_ trainer: JEPATrainer, step: Int, epoch: Int, config: String, build: String = "",
                            to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        do {
            let w = try HDF5Writer(path: tmp)
            for (prefix, store) in [("encoder", trainer.encoder.params), ("predictor", trainer.predictor.params),
                                    ("target_encoder", trainer.targetEncoder.params)] {
                for e in store.entries { try w.write("\(prefix)/\(e.name)", floats: store.value(e.offset), shape: e.shape) }
            }
            // Before the first update the moments are zeros: a checkpoint of
            // weights that never trained (optimization.epochs 0) leaves them out.
            for (prefix, opt) in [("encoder", trainer.encoderOptimizer), ("predictor", trainer.predictorOptimizer)]
            where opt.step > 0 {
                for e in opt.store.entries {
                    try w.write("optimizer/\(prefix)/exp_avg/\(e.name)", floats: opt.expAvg + e.offset, shape: e.shape)
                    try w.write("optimizer/\(prefix)/exp_avg_sq/\(e.name)", floats: opt.expAvgSq + e.offset, shape: e.shape)
                }
            }
            try w.setAttribute("step", int: step)
            try w.setAttribute("epoch", int: epoch)
            try w.setAttribute("adam_step", int: trainer.encoderOptimizer.step)
            try w.setAttribute("config", string: config)
            if !build.isEmpty { try w.setAttribute("build", string: build) }
            try w.close()
            guard rename(tmp, path) == 0 else {
                throw PretrainError("\(path): cannot write checkpoint: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Reads one module's weights (e.g. `target_encoder`) into `encoder`,
    /// checking every name and shape against the model built from the config.
    public static func loadModule(_ module: String, into encoder: VisionTransformer, from path: String) throws {
        let f = try HDF5File(path: path)
        for e in encoder.params.entries {
            let name = "\(module)/\(e.name)"
            guard f.exists(name) else { throw PretrainError("\(path): checkpoint lacks \(name)") }
            let s = try f.shape(name)
            guard s == e.shape else {
                throw PretrainError("\(path): \(name) has shape \(s), the model expects \(e.shape) (architecture differs from the config)")
            }
            let v = try f.floats(name)
            encoder.params.value(e.offset).update(from: v, count: v.count)
        }
    }

    /// Restores every tensor and the optimizer state; checks that the file
    /// was written for the same architecture.
    public static func load(_ trainer: JEPATrainer, from path: String) throws -> Info {
        let f = try HDF5File(path: path)
        func read(_ name: String, into p: UnsafeMutablePointer<Float>, shape: [Int]) throws {
            guard f.exists(name) else { throw PretrainError("\(path): checkpoint lacks \(name)") }
            let s = try f.shape(name)
            guard s == shape else {
                throw PretrainError("\(path): \(name) has shape \(s), the model expects \(shape) (architecture differs from the config)")
            }
            let v = try f.floats(name)
            p.update(from: v, count: v.count)
        }
        for (prefix, store) in [("encoder", trainer.encoder.params), ("predictor", trainer.predictor.params),
                                ("target_encoder", trainer.targetEncoder.params)] {
            for e in store.entries { try read("\(prefix)/\(e.name)", into: store.value(e.offset), shape: e.shape) }
        }
        let adamStep = try f.intAttribute("adam_step")
        for (prefix, opt) in [("encoder", trainer.encoderOptimizer), ("predictor", trainer.predictorOptimizer)] {
            for e in opt.store.entries {
                if adamStep == 0 {
                    (opt.expAvg + e.offset).update(repeating: 0, count: e.count)
                    (opt.expAvgSq + e.offset).update(repeating: 0, count: e.count)
                    continue
                }
                try read("optimizer/\(prefix)/exp_avg/\(e.name)", into: opt.expAvg + e.offset, shape: e.shape)
                try read("optimizer/\(prefix)/exp_avg_sq/\(e.name)", into: opt.expAvgSq + e.offset, shape: e.shape)
            }
            opt.restore(step: adamStep)
        }
        return try info(f)
    }

    /// The step, epoch, config and build of a checkpoint, without its tensors.
    public static func peek(_ path: String) throws -> Info { try info(try HDF5File(path: path)) }

    static func info(_ f: HDF5File) throws -> Info {
        Info(step: try f.intAttribute("step"), epoch: try f.intAttribute("epoch"), config: try f.stringAttribute("config"),
             build: try? f.stringAttribute("build"))
    }
}

public struct PretrainError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
