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
public enum PretrainStage: BuildingStage {
    public static let name = "pretrain"
    /// 2: masks hash seed and step together (same inputs, new results).
    public static let formatVersion = 2
    public static var upstream: [any Stage.Type] { [PrepareStage.self] }
    public static func inputs(_ s: PipelineSettings) -> PretrainInputs { PretrainInputs(s) }

    /// A run started from another checkpoint or other weights is a different artifact.
    public static func sourceDigests(_ config: PipelineConfig, store: ArtifactStore) throws -> [String: String] {
        var digests: [String: String] = [:]
        for (name, file) in [("read_checkpoint", config.settings.readCheckpointPath),
                             ("init_from", config.settings.meta.checkpoint.initFrom)] {
            guard let file else { continue }
            guard FileManager.default.fileExists(atPath: file) else {
                throw PipelineError("\(file): file not found (meta.\(name))")
            }
            digests[name] = try store.digestCache().digest(ofFile: file)
        }
        return digests
    }

    /// The one build: on rank 0 (of one or more MPI ranks) it trains in the
    /// work folder, which keeps its checkpoints across an interrupted or
    /// stopped attempt, then copies the final files into the artifact.
    /// Ranks other than 0 never reach it (`run`).
    public static func build(_ context: StageContext, request: PretrainRequest, into folder: String) throws -> StageResult {
        let settings = inputs(context.config.settings), options = PretrainOptions(context.config.settings)
        let log = context.log, comm = request.comm, workDir = context.workDirectory
        // oneDNN allocates its GEMM packing buffers per call: without this
        // each one is a fresh mmap and its pages are faulted in again.
        Allocator.keepLargeBlocks()
        let shards = try trainShards(context)
        let (data, shape, sampler) = try setUp(settings, shards: shards, rank: comm.rank, ranks: comm.size,
                                               curveImages: options.curve.map { $0.queries + $0.bank } ?? 0)
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let curve = try learningCurve(options, shards: shards, itersPerEpoch: data.itersPerEpoch,
                                      holdImages: data.stream == nil)
        let run = TrainingRun(settings: settings, options: options, shape: shape, data: data, sampler: sampler,
                              workDir: workDir, configText: JSON.object(context.config.values).canonical, build: request.build,
                              log: log, comm: comm, curve: curve)
        // The work folder's own checkpoint first (an interrupted run of this
        // key), else meta.read_checkpoint (the official meaning: resume from
        // that file, its step included).
        let explicit = request.resume || options.resume
        let automatic = try interruptedRun(in: workDir, build: request.build, explicit: explicit, restart: request.restart, log: log)
        let resumed = explicit || automatic ? try run.resume() : false
        if !resumed, let file = options.readCheckpoint { try run.resume(from: file) }
        if !resumed, let file = options.initFrom { try run.start(from: file) }
        run.synchronizeReplicas()
        let ranks = comm.size > 1
            ? ", \(comm.size) ranks of \(settings.batchSize / comm.size) images (data.batch_size is the global batch here, per process in the official code)"
            : ""
        log.info("key \(context.key): \(data.count) train images, \(data.itersPerEpoch) steps/epoch, \(run.totalSteps) steps, encoder \(shape.encoder.embedDim)x\(shape.encoder.depth), predictor \(shape.predictorDim)x\(shape.predictorDepth)\(ranks)")
        guard try run.train(stopAfter: request.stopAfter) else {
            throw StageStopped("stopped after step \(run.step) of \(run.totalSteps); the same command continues it (checkpoint in \(workDir))")
        }
        for f in ["checkpoint.h5", "log.csv"] + (curve == nil ? [] : [LearningCurve.fileName]) {
            try FileManager.default.copyItem(atPath: "\(workDir)/\(f)", toPath: "\(folder)/\(f)")
        }
        // A run of no step samples no mask (nor need its mask settings be sampleable).
        if run.totalSteps > 0 { try MaskFigure.write(sampler: sampler, data: data, count: 8, to: "\(folder)/masks.png") }
        return run.result()
    }

    public static func summary(_ manifest: JSON) -> String? {
        let d = manifest["details"]
        return "loss \(d?["loss_first"]?.doubleValue ?? .nan) -> \(d?["loss_last"]?.doubleValue ?? .nan), peak resident memory \(Int(d?["peak_resident_mib"]?.doubleValue ?? 0)) MiB"
    }

    /// Trains `config` (or reuses its artifact). `request`: resume flags,
    /// a step budget (`stopAfter`: train at most that many steps now, leaving
    /// a checkpoint to continue from) and the MPI ranks.
    ///
    /// Under MPI every rank calls this: rank 0 goes through the driver
    /// (decides whether to train, holds the artifact lock, resumes and
    /// writes) and tells the others its decision; the others train their
    /// slices of each batch (see TrainingRun) and write nothing. The key
    /// does not depend on the rank count.
    ///
    /// An interrupted run of the same key (its checkpoint in the work
    /// folder) is resumed without being asked when the same build wrote it;
    /// `resume` resumes one of another build too, `restart` starts over.
    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false,
                           resume: Bool = false, restart: Bool = false, stopAfter: Int? = nil,
                           comm: Communicator = .world, build: String = BuildInfo.line) throws -> StageOutcome {
        try GEMM.checkEnvironment()
        var log = Console.logger(name)
        if !comm.isRoot { log.logLevel = .warning }
        for note in config.officialNotes { log.notice("\(note)") }
        let settings = inputs(config.settings)
        if settings.precision == .bfloat16 { log.notice("meta.use_bfloat16: \(BFloat16GEMM.routeDescription)") }
        if settings.batchSize % comm.size != 0 {
            throw PipelineError("\(config.source): data.batch_size: \(settings.batchSize) images per step do not split evenly over \(comm.size) ranks")
        }
        let request = PretrainRequest(comm: comm, resume: resume, restart: restart, stopAfter: stopAfter, build: build)
        guard comm.isRoot else { return try runReplica(config, store: store, request: request, log: log) }
        return try run(config, store: store, force: force, request: request, log: log)
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
    static func runReplica(_ config: PipelineConfig, store: ArtifactStore, request: PretrainRequest,
                           log: Logger) throws -> StageOutcome {
        let material = try keyMaterial(config, store: store)
        let comm = request.comm, dir = store.directory(stage: name, key: material.key)
        guard comm.broadcast(0) == 1 else {
            return .replica(stage: name, key: material.key, directory: dir, built: false, complete: true)
        }
        Allocator.keepLargeBlocks()
        let settings = inputs(config.settings)
        let shards = try trainShards(store: store, prepareKey: material.upstreamKey(PrepareStage.self))
        let (data, shape, sampler) = try setUp(settings, shards: shards, rank: comm.rank, ranks: comm.size)
        let run = TrainingRun(settings: settings, options: PretrainOptions(config.settings), shape: shape, data: data,
                              sampler: sampler, workDir: dir, configText: "", log: log, comm: comm)
        run.synchronizeReplicas()
        let complete = try run.train(stopAfter: request.stopAfter)
        return .replica(stage: name, key: material.key, directory: dir, built: complete, complete: complete)
    }

    /// The prepared train data, the model shape and the masks (checked
    /// when the config was loaded).
    /// `rank` of `ranks`: which chunks this process streams when the split
    /// is larger than data.buffer_mb. `models`: how many models the caller
    /// trains side by side (a benchmark comparing precisions), for the
    /// memory check.
    public static func setUp(_ settings: PretrainInputs, store: ArtifactStore, prepareKey: String,
                             rank: Int = 0, ranks: Int = 1, models: Int = 1) throws -> (TrainingData, JEPAShape, MaskSampler) {
        try setUp(settings, shards: try trainShards(store: store, prepareKey: prepareKey), rank: rank, ranks: ranks,
                  models: models)
    }

    /// `curveImages`: the learning curve's images, counted in the memory check.
    static func setUp(_ settings: PretrainInputs, shards: [String], rank: Int = 0, ranks: Int = 1,
                      curveImages: Int = 0, models: Int = 1) throws -> (TrainingData, JEPAShape, MaskSampler) {
        let held = try checkMemory(settings, shards: shards, curveImages: curveImages, models: models)
        try MachineMemory.reserve(Double(held), for: "pretrain: the train images held in memory", keys: "data.buffer_mb")
        let data = try TrainingData(shardPaths: shards, batchSize: settings.batchSize, seed: settings.seed,
                                    augmentation: settings.augmentation, bufferBytes: settings.loading.bufferBytes,
                                    rank: rank, ranks: ranks)
        if rank == 0 { Console.logger(name).info("\(describe(data, buffer: settings.loading))") }
        let a = data.attributes
        let shape = settings.shape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize)
        let sampler = settings.maskSampler(grid: a.gridSize)
        return (data, shape, sampler)
    }

    /// Refuses, before loading anything, a run whose estimated peak exceeds
    /// the memory available now.
    /// Returns the bytes of train images held at once.
    @discardableResult
    static func checkMemory(_ settings: PretrainInputs, shards: [String], curveImages: Int, models: Int = 1) throws -> Int {
        var images = 0, attributes: ShardAttributes? = nil
        for path in shards {
            let r = try ShardReader(path: path)
            images += r.count
            attributes = attributes ?? r.attributes
        }
        guard let a = attributes else { return 0 }
        let sample = a.numPatches * a.patchDim, whole = images * sample <= settings.loading.bufferBytes
        let held = min(images * sample, settings.loading.bufferBytes)
        let estimate = MemoryEstimate(shape: settings.shape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize),
                                      trainBytes: held, batch: settings.batchSize, targetBlocks: settings.mask.numPredMasks,
                                      curveImages: curveImages, curveImageBytes: whole ? sample : 0, models: models)
        if let line = try MachineMemory.check(
            stage: "pretrain", needs: estimate.total, summary: estimate.summary,
            remedy: "lower data.buffer_mb (train images held at once), data.batch_size or the model (meta.model_name, embed_dim, depth, pred_emb_dim, pred_depth)") {
            Console.logger(name).info("\(line)")
        }
        return held
    }

    /// One line on how the train split is held: whole, or streamed.
    static func describe(_ data: TrainingData, buffer: LoadingSettings) -> String {
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

    /// The train shard files of this run's Prepare artifact, in sample order.
    static func trainShards(_ context: StageContext) throws -> [String] {
        try trainShards(store: context.store, prepareKey: context.upstreamKey(PrepareStage.self))
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
    /// `holdImages`: its images are held in memory (when the train split is:
    /// a few thousand of its images), else read from the shards at each evaluation.
    static func learningCurve(_ options: PretrainOptions, shards: [String], itersPerEpoch: Int,
                              holdImages: Bool) throws -> LearningCurve? {
        guard let c = options.curve, let every = c.period.steps(itersPerEpoch: itersPerEpoch) else { return nil }
        return try LearningCurve(trainShards: shards, options: c, every: every, itersPerEpoch: itersPerEpoch,
                                 holdImages: holdImages)
    }

}

/// How a Pretrain run is asked for beyond its configuration.
public struct PretrainRequest: StageRequest {
    public let comm: Communicator
    /// Continue the interrupted run even when another build wrote its checkpoint.
    public let resume: Bool
    /// Remove the interrupted run's checkpoint and start over.
    public let restart: Bool
    /// Train at most this many steps now, then stop with a checkpoint.
    public let stopAfter: Int?
    /// The build that writes the checkpoints (a checkpoint of another is not continued silently).
    public let build: String

    /// Rank 0 tells the other ranks whether to train (1) or not (0).
    public func decided(building: Bool) { _ = comm.broadcast(building ? 1 : 0) }
}
