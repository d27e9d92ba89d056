import Distributed
import Foundation
import Interop
import Logging
import Numerics
import Pipeline
import Preparation
import Shards
import Threads
import Training

/// Pretrain: I-JEPA on the train shards of the Prepare artifact, under
/// artifacts/pretrain/<key>/ (final checkpoint, log.csv, masks.png,
/// manifest). Checkpoints of a run in progress live in
/// artifacts/pretrain/.work-<key>/, so a killed run can be resumed.
public enum PretrainStage: Stage {
    public static let name = "pretrain"
    /// 2: masks hash seed and step together (same inputs, new results).
    public static let formatVersion = 2
    public static var upstream: [any Stage.Type] { [PrepareStage.self] }
    public static func settings(_ s: PipelineSettings) -> PretrainSettings { PretrainSettings(s) }

    public struct Outcome: Sendable {
        public let key: String
        /// The artifact, or the work folder of a run stopped early.
        public let directory: String
        public let built: Bool
        /// False when `stopAfter` ended the run before its last step.
        public let complete: Bool
    }

    /// A run started from another checkpoint or other weights is a different artifact.
    public static func inputs(_ config: PipelineConfig, store: ArtifactStore) throws -> [String: String] {
        var inputs: [String: String] = [:]
        for (name, file) in [("read_checkpoint", config.settings.readCheckpointPath),
                             ("init_from", config.settings.meta.checkpoint.initFrom)] {
            guard let file else { continue }
            guard FileManager.default.fileExists(atPath: file) else {
                throw PipelineError("\(file): file not found (meta.\(name))")
            }
            inputs[name] = try store.digestCache().digest(ofFile: file)
        }
        return inputs
    }

    /// `stopAfter`: train at most that many steps in this call, leaving a
    /// checkpoint to `resume` from (time-boxed jobs).
    ///
    /// Under MPI every rank calls this: rank 0 decides whether to train,
    /// holds the artifact lock, resumes and writes; the others train their
    /// slices of each batch (see TrainingRun) and write nothing. The key does
    /// not depend on the rank count.
    ///
    /// An interrupted run of the same key (its checkpoint in the work
    /// folder) is resumed without being asked when the same build wrote it;
    /// `resume` resumes one of another build too, `restart` starts over.
    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false,
                           resume: Bool = false, restart: Bool = false, stopAfter: Int? = nil,
                           comm: Communicator = .world, build: String = BuildInfo.line) throws -> Outcome {
        try GEMM.checkEnvironment()
        var log = Console.logger(name)
        if !comm.isRoot { log.logLevel = .warning }
        let started = Date()
        let settings = PretrainSettings(config.settings), options = PretrainOptions(config.settings)
        for note in config.officialNotes { log.notice("\(note)") }
        if settings.batchSize % comm.size != 0 {
            throw PipelineError("\(config.source): data.batch_size: \(settings.batchSize) images per step do not split evenly over \(comm.size) ranks")
        }
        let material = try keyMaterial(config, store: store)
        let key = material.key
        let dir = store.directory(stage: name, key: key)
        if !comm.isRoot {
            return try runReplica(settings, options: options, store: store, material: material, stopAfter: stopAfter,
                                  comm: comm, log: log)
        }
        // One process per key: a second waits, then finds the artifact.
        return try store.buildOnce(stage: name, key: key, force: force, log: log) { _ in
            _ = comm.broadcast(0)  // the other ranks have nothing to do
            return Outcome(key: key, directory: dir, built: false, complete: true)
        } build: {
            _ = comm.broadcast(1)  // the other ranks set up and wait for the state
            // oneDNN allocates its GEMM packing buffers per call: without this
            // each one is a fresh mmap and its pages are faulted in again.
            Allocator.keepLargeBlocks()
            let (data, shape, sampler) = try setUp(settings, store: store, prepareKey: material.upstreamKey(PrepareStage.self),
                                                   rank: comm.rank, ranks: comm.size)
            let workDir = "\(store.root)/\(name)/.work-\(key)"
            try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
            let curve = try learningCurve(options, store: store, prepareKey: material.upstreamKey(PrepareStage.self),
                                          itersPerEpoch: data.itersPerEpoch)
            let run = TrainingRun(settings: settings, options: options, shape: shape, data: data, sampler: sampler,
                                  workDir: workDir, configText: JSON.object(config.values).canonical, build: build,
                                  log: log, comm: comm, curve: curve)
            // The work folder's own checkpoint first (an interrupted run of this
            // key), else meta.read_checkpoint (the official meaning: resume from
            // that file, its step included).
            let explicit = resume || options.resume
            let automatic = try interruptedRun(in: workDir, build: build, explicit: explicit, restart: restart, log: log)
            let resumed = explicit || automatic ? try run.resume() : false
            if !resumed, let file = options.readCheckpoint { try run.resume(from: file) }
            if !resumed, let file = options.initFrom { try run.start(from: file) }
            run.synchronizeReplicas()
            let ranks = comm.size > 1
                ? ", \(comm.size) ranks of \(settings.batchSize / comm.size) images (data.batch_size is the global batch here, per process in the official code)"
                : ""
            log.info("key \(key): \(data.count) train images, \(data.itersPerEpoch) steps/epoch, \(run.totalSteps) steps, encoder \(shape.encoder.embedDim)x\(shape.encoder.depth), predictor \(shape.predictorDim)x\(shape.predictorDepth)\(ranks)")
            guard try run.train(stopAfter: stopAfter) else {
                log.info("stopped after step \(run.step) of \(run.totalSteps); the same command continues it (checkpoint in \(workDir))")
                return Outcome(key: key, directory: workDir, built: false, complete: false)
            }

            let manifest = try store.build(material, started: started) { tmp in
                for f in ["checkpoint.h5", "log.csv"] + (curve == nil ? [] : [LearningCurve.fileName]) {
                    try FileManager.default.copyItem(atPath: "\(workDir)/\(f)", toPath: "\(tmp)/\(f)")
                }
                // A run of no step samples no mask (nor need its mask settings be sampleable).
                if run.totalSteps > 0 { try MaskFigure.write(sampler: sampler, data: data, count: 8, to: "\(tmp)/masks.png") }
                return run.result()
            }
            try? FileManager.default.removeItem(atPath: workDir)
            log.info("wrote \(dir) (loss \(manifest["details"]?["loss_first"]?.doubleValue ?? .nan) -> \(manifest["details"]?["loss_last"]?.doubleValue ?? .nan), peak resident memory \(run.peakResidentBytes >> 20) MiB)")
            return Outcome(key: key, directory: dir, built: true, complete: true)
        }
    }

    /// Whether to resume the interrupted run whose checkpoint is in
    /// `workDir` without being asked: yes when the same build wrote it (the
    /// key is the whole configuration and resume is exact); a checkpoint of
    /// another build is an error that names both ways on. `restart` removes
    /// it (and its log) instead.
    static func interruptedRun(in workDir: String, build: String, explicit: Bool, restart: Bool, log: Logger) throws -> Bool {
        let path = "\(workDir)/checkpoint.h5"
        guard FileManager.default.fileExists(atPath: path) else { return false }
        if restart {
            let step = (try? Checkpoint.peek(path).step).map { " at step \($0)" } ?? ""
            for f in ["checkpoint.h5", "log.csv", LearningCurve.fileName] { try? FileManager.default.removeItem(atPath: "\(workDir)/\(f)") }
            log.notice("starting over (--restart): removed the interrupted run's checkpoint\(step)")
            return false
        }
        if explicit { return false }  // resumed below, whichever build wrote it
        let info = try Checkpoint.peek(path)
        guard info.build == build else {
            throw PipelineError("\(path): an interrupted run of this configuration stopped at step \(info.step), written by build \(info.build ?? "unknown (from before checkpoints recorded their build)"), not this one (\(build)); continue it with --resume (make pretrain RESUME=1) or start over with --restart (RESTART=1)")
        }
        log.notice("resuming the interrupted run of this configuration from step \(info.step) (same build; --restart starts over)")
        return true
    }

    /// A rank other than 0: waits for rank 0's decision, then trains its
    /// slices from rank 0's state. Reads the shards (every host needs the
    /// artifacts folder at the same path), writes nothing.
    static func runReplica(_ settings: PretrainSettings, options: PretrainOptions, store: ArtifactStore,
                           material: ArtifactKeyMaterial, stopAfter: Int?, comm: Communicator,
                           log: Logger) throws -> Outcome {
        let dir = store.directory(stage: name, key: material.key)
        guard comm.broadcast(0) == 1 else { return Outcome(key: material.key, directory: dir, built: false, complete: true) }
        Allocator.keepLargeBlocks()
        let (data, shape, sampler) = try setUp(settings, store: store, prepareKey: material.upstreamKey(PrepareStage.self),
                                               rank: comm.rank, ranks: comm.size)
        let run = TrainingRun(settings: settings, options: options, shape: shape, data: data, sampler: sampler, workDir: dir,
                              configText: "", log: log, comm: comm)
        run.synchronizeReplicas()
        let complete = try run.train(stopAfter: stopAfter)
        return Outcome(key: material.key, directory: dir, built: complete, complete: complete)
    }

    /// The prepared train data, the model shape and the masks (checked
    /// when the config was loaded).
    /// `rank` of `ranks`: which chunks this process streams when the split
    /// is larger than data.buffer_mb.
    public static func setUp(_ settings: PretrainSettings, store: ArtifactStore, prepareKey: String,
                             rank: Int = 0, ranks: Int = 1) throws -> (TrainingData, JEPAShape, MaskSampler) {
        let shards = try trainShards(store: store, prepareKey: prepareKey)
        try checkMemory(settings, shards: shards)
        let data = try TrainingData(shardPaths: shards, batchSize: settings.batchSize, seed: settings.seed,
                                    augmentation: settings.loading.augmentation, bufferBytes: settings.loading.bufferBytes,
                                    rank: rank, ranks: ranks)
        if rank == 0 { Console.logger(name).info("\(describe(data, buffer: settings.loading))") }
        let a = data.attributes
        let shape = settings.shape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize)
        let sampler = settings.maskSampler(grid: a.gridSize)
        return (data, shape, sampler)
    }

    /// Refuses, before loading anything, a run whose estimated peak exceeds
    /// the memory available now.
    static func checkMemory(_ settings: PretrainSettings, shards: [String]) throws {
        var images = 0, attributes: ShardAttributes? = nil
        for path in shards {
            let r = try ShardReader(path: path)
            images += r.count
            attributes = attributes ?? r.attributes
        }
        guard let a = attributes, let available = MachineMemory.availability() else { return }
        let held = min(images * a.numPatches * a.patchDim, settings.loading.bufferBytes)
        let estimate = MemoryEstimate(shape: settings.shape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize),
                                      trainBytes: held, batch: settings.batchSize, targetBlocks: settings.mask.numPredMasks)
        guard estimate.total <= available.bytes else {
            throw PipelineError("pretrain needs \(estimate.summary) but \(available.description) is available: lower data.buffer_mb (train images held at once), data.batch_size or the model (meta.model_name, embed_dim, depth, pred_emb_dim, pred_depth)")
        }
        Console.logger(name).info("memory: \(estimate.summary) of \(available.description) available")
    }

    /// One line on how the train split is held: whole, or streamed.
    static func describe(_ data: TrainingData, buffer: DataLoading) -> String {
        let bufferMB = buffer.bufferMB
        let mib = Double(data.count * data.sampleBytes) / 1_048_576
        guard let s = data.stream else {
            return String(format: "train split: %d images, %.1f MiB: fits in data.buffer_mb (%g MiB), held in memory and shuffled whole each epoch", data.count, mib, bufferMB)
        }
        let window = Double(s.windowSamples * data.sampleBytes) / 1_048_576
        let ranks = s.ranks > 1 ? ", rank \(s.rank) of \(s.ranks) reading every \(s.ranks)th chunk" : ""
        let small = 2 * s.windowSamples * data.sampleBytes > buffer.bufferBytes
            ? " (data.buffer_mb holds fewer than two of the shards' chunks: a window is one chunk)" : ""
        return String(format: "train split: %d images, %.1f MiB, more than data.buffer_mb (%g MiB): streamed from %d shards (%d chunks) in seeded chunk order, shuffled in windows of %d images (%.1f MiB, at most two in memory)", data.count, mib, bufferMB, s.shardCount, s.chunkSizes.count, s.windowSamples, window) + "\(small)\(ranks); \(data.itersPerEpoch) steps/epoch"
    }

    /// The train shard files of a Prepare artifact, in sample order.
    static func trainShards(store: ArtifactStore, prepareKey: String) throws -> [String] {
        let prepared = try store.requireInput(stage: PrepareStage.name, key: prepareKey, makeTarget: "prepare")
        let prepDir = store.directory(stage: PrepareStage.name, key: prepareKey)
        let shards = (prepared["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
            .filter { $0.hasPrefix("train-") && $0.hasSuffix(".h5") }.sorted().map { "\(prepDir)/\($0)" }
        guard !shards.isEmpty else { throw PipelineError("\(prepDir): no train shards") }
        return shards
    }

    /// The learning curve of a run (rank 0 only), or nil when logging.eval_every is 0.
    static func learningCurve(_ options: PretrainOptions, store: ArtifactStore, prepareKey: String,
                              itersPerEpoch: Int) throws -> LearningCurve? {
        guard let c = options.curve, let every = c.period.steps(itersPerEpoch: itersPerEpoch) else { return nil }
        return try LearningCurve(trainShards: try trainShards(store: store, prepareKey: prepareKey), settings: c,
                                 every: every, itersPerEpoch: itersPerEpoch)
    }

    /// The pretrained model of `config` as safetensors under the official
    /// names (`make export`): the target encoder, or with `state` the whole
    /// training state for tools/interop/ijepa_checkpoint.py.
    public static func export(_ config: PipelineConfig, store: ArtifactStore, to path: String, state: Bool) throws {
        let material = try keyMaterial(config, store: store)
        let manifest = try store.requireInput(stage: name, key: material.key, makeTarget: "pretrain")
        let shards = try trainShards(store: store, prepareKey: material.upstreamKey(PrepareStage.self))
        let a = try ShardReader(path: shards[0]).attributes
        let settings = PretrainSettings(config.settings)
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
        let settings = PretrainSettings(config.settings)
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
        let settings = PretrainSettings(config.settings)
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
