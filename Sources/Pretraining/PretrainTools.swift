import Foundation
import Interop
import Numerics
import Pipeline
import Preparation
import Shards
import Training

/// What Pretrain does besides training: export a trained model, write the
/// masks of step 0, and write one step's full state for a cross-check.
extension PretrainStage {
    /// The pretrained model of `config` as safetensors under the official
    /// names (`make export`): the target encoder, or with `state` the whole
    /// training state for tools/interop/ijepa_checkpoint.py.
    public static func export(_ config: PipelineConfig, store: ArtifactStore, to path: String, state: Bool) throws {
        let material = try keyMaterial(config, store: store)
        let manifest = try store.requireInput(stage: name, key: material.key, makeTarget: "pretrain")
        let shards = try trainShards(store: store, prepareKey: material.upstreamKey(PrepareStage.self))
        let a = try ShardReader(path: shards[0]).attributes
        let settings = PretrainInputs(config.settings)
        let shape = settings.shape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize)
        let trainer = settings.trainer(shape: shape)
        let info = try Checkpoint.load(trainer, from: "\(store.directory(stage: name, key: material.key))/checkpoint.h5")
        let model: JSON = .object([
            "model_name": .string(settings.model.modelName.rawValue), "embed_dim": .int(shape.encoder.embedDim),
            "depth": .int(shape.encoder.depth), "num_heads": .int(shape.encoder.numHeads),
            "mlp_ratio": .double(shape.encoder.mlpRatio), "patch_size": .int(shape.patchSize),
            "grid_size": .int(shape.gridSize), "channels": .int(shape.channels),
            "pred_emb_dim": .int(shape.predictorDim), "pred_depth": .int(shape.predictorDepth),
        ])
        var metadata = ["config": JSON.object(config.values).canonical, "model": model.canonical, "pretrain_key": material.key,
                        "step": "\(info.step)", "epoch": "\(info.epoch)",
                        "normalization": JSON.object(["mean": .array(a.mean.map { .double($0) }),
                                                      "std": .array(a.std.map { .double($0) })]).canonical]
        if let loss = manifest["details"]?["loss_last"]?.doubleValue, loss.isFinite { metadata["loss"] = "\(loss)" }
        try WeightsExport.write(trainer, content: state ? .trainingState : .targetEncoder, metadata: metadata, to: path)
        Console.logger(name).info("wrote \(path): \(state ? "training state" : "target encoder") of pretrain/\(material.key), step \(info.step)")
    }

    public static func writeMaskFigure(_ config: PipelineConfig, store: ArtifactStore, count: Int, to path: String) throws {
        let settings = PretrainInputs(config.settings)
        let (data, _, _) = try setUp(settings, store: store, prepareKey: try PrepareStage.keyMaterial(config, store: store).key)
        let sampler = try settings.checkedMaskSampler(grid: data.attributes.gridSize)
        try MaskFigure.write(sampler: sampler, data: data, count: count, to: path)
    }

    /// One step from the initial weights, written to HDF5 with everything
    /// needed to reproduce it elsewhere (e.g. in PyTorch): the initial
    /// weights under PyTorch names, the normalised batch, the masks, the
    /// loss and every gradient.
    public static func writeDebugState(_ config: PipelineConfig, store: ArtifactStore, to path: String) throws {
        try GEMM.checkEnvironment()
        let settings = PretrainInputs(config.settings)
        let (data, shape, _) = try setUp(settings, store: store, prepareKey: try PrepareStage.keyMaterial(config, store: store).key)
        let sampler = try settings.checkedMaskSampler(grid: shape.gridSize)
        let trainer = settings.trainer(shape: shape)
        let b = settings.batchSize, n = shape.numPatches, d = shape.patchDim
        let w = try HDF5Writer(path: path)
        for (prefix, store) in [("encoder", trainer.encoder.params), ("predictor", trainer.predictor.params)] {
            for e in store.entries { try w.write("params/\(prefix)/\(e.name)", floats: store.value(e.offset), shape: e.shape) }
        }
        var batch = [Float](repeating: 0, count: b * n * d)
        var epochOrder = EpochOrder(data)
        try batch.withUnsafeMutableBufferPointer { try data.batch(step: 0, order: epochOrder.forStep(0), into: $0.baseAddress!) }
        let masks = sampler.sample(step: 0, batch: b)  // the gradient of step 0 alone: no schedules needed
        let r = batch.withUnsafeBufferPointer { trainer.computeGradients(patches: $0.baseAddress!, masks: masks) }
        try w.write("input/patches", floats: batch, shape: [b, n, d])
        try w.write("input/ctx_idx", int32s: masks.context, shape: [b, masks.contextCount])
        try w.write("input/tgt_idx", int32s: masks.targets, shape: [masks.masks, b, masks.targetCount])
        try w.write("output/loss", doubles: [r.loss], shape: [])
        for (prefix, store) in [("encoder", trainer.encoder.params), ("predictor", trainer.predictor.params)] {
            for e in store.entries { try w.write("grads/\(prefix)/\(e.name)", floats: store.grad(e.offset), shape: e.shape) }
        }
        try w.setAttribute("loss", string: settings.loss.rawValue)
        try w.setAttribute("target_ln_eps", string: "\(JEPATrainer.targetEps)")
        try w.setAttribute("config", string: settings.keyJSON.canonical)
        try w.close()
        Console.logger(name).info("debug state of step 0 (loss \(r.loss)) written to \(path)")
    }
}
