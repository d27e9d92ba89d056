import Dispatch
import Distributed
import Foundation
import Interop
import Logging
import Numerics
import Pipeline
import Threads
import Training

/// The training loop: load (a batch read one step ahead, `Prefetcher`),
/// step, observe (log rows, gradient monitor, learning curve, progress:
/// `TrainingObserver`s), checkpoint. Masks and schedules are pure functions
/// of the step, so a resumed run repeats an uninterrupted one.
///
/// Data-parallel over `comm`'s ranks: the global batch (data.batch_size) and
/// its masks are the same on every rank, each rank trains on its slice of
/// it, gradients are averaged, and only rank 0 writes the log and
/// checkpoints. N ranks therefore follow one process's run up to float
/// rounding, and a checkpoint resumes with any rank count.
final class TrainingRun {
    let settings: PretrainInputs
    let options: PretrainOptions
    let shape: JEPAShape
    let data: TrainingData
    let sampler: MaskSampler
    let schedules: Schedules
    let trainer: JEPATrainer
    let workDir: String
    let configText: String
    /// The build recorded in each checkpoint (BuildInfo.line).
    let build: String
    let log: Logger
    let comm: Communicator
    let averager: GradientAverager?
    /// Rank 0's learning curve (nil on other ranks and when it is off).
    let curve: LearningCurve?
    let history: TrainingHistory
    var step = 0
    /// The largest peak resident memory of any rank, set when `train` returns.
    var peakResidentBytes = 0

    var totalSteps: Int { schedules.trainingSteps }
    var checkpointPath: String { "\(workDir)/checkpoint.h5" }
    var logPath: String { "\(workDir)/log.csv" }
    var curvePath: String { "\(workDir)/\(LearningCurve.fileName)" }

    init(settings: PretrainInputs, options: PretrainOptions, shape: JEPAShape, data: TrainingData, sampler: MaskSampler, workDir: String,
         configText: String, build: String = "", log: Logger, comm: Communicator = .world, curve: LearningCurve? = nil) {
        self.settings = settings
        self.options = options
        self.shape = shape
        self.data = data
        self.sampler = sampler
        self.workDir = workDir
        self.configText = configText
        self.build = build
        self.log = log
        self.comm = comm
        self.curve = comm.isRoot ? curve : nil
        precondition(settings.batchSize % comm.size == 0, "PretrainStage checks the batch split")
        schedules = settings.schedules(itersPerEpoch: data.itersPerEpoch)
        trainer = settings.trainer(shape: shape)
        averager = comm.size > 1 ? GradientAverager(comm: comm) : nil
        trainer.reducer = averager
        history = TrainingHistory(itersPerEpoch: data.itersPerEpoch)
    }

    /// This rank's samples of every global batch.
    var localSamples: Range<Int> {
        let b = settings.batchSize / comm.size
        return (comm.rank * b)..<((comm.rank + 1) * b)
    }

    /// Rank 0's state (fresh or resumed) onto every rank; all ranks call it
    /// before `train`.
    func synchronizeReplicas() {
        step = ReplicaState.broadcast(trainer, step: step, comm: comm)
    }

    /// Resumes from the work folder's checkpoint, or from `file` (e.g.
    /// meta.read_checkpoint) when given; false when there is none.
    @discardableResult
    func resume(from file: String? = nil) throws -> Bool {
        let path = file ?? checkpointPath
        guard FileManager.default.fileExists(atPath: path) else {
            if let file { throw PretrainError("\(file): checkpoint not found (meta.read_checkpoint)") }
            log.info("no checkpoint in \(workDir): starting from step 0")
            return false
        }
        let info = try Checkpoint.load(trainer, from: path)
        step = info.step
        // Keep the log rows of the steps the checkpoint covers.
        let text = FileManager.default.fileExists(atPath: logPath) ? try String(contentsOfFile: logPath, encoding: .utf8) : ""
        history.restore(try TrainingLogRow.parse(text, path: logPath), before: step)
        try curve?.restore(csvAt: curvePath, before: step)
        log.info("resumed from \(path) at step \(step)")
        return true
    }

    /// Starts from the weights of a safetensors file (meta.init_from): the
    /// optimizer and the step start afresh.
    func start(from file: String) throws {
        switch try WeightsImport.load(file, into: trainer) {
        case .allModules: log.info("starting from the encoder, predictor and target encoder of \(file)")
        case .encoderOnly: log.info("starting from the encoder of \(file) (context and target encoder; the predictor from meta.seed)")
        }
    }

    /// Trains to the end, or until `stopAfter` steps of this call have run
    /// (then checkpoints and returns false: the run can be resumed).
    func train(stopAfter: Int? = nil) throws -> Bool {
        let end = min(totalSteps, stopAfter.map { step + $0 } ?? totalSteps)
        let batches = Prefetcher(data: data, samples: localSamples, sampleSize: shape.numPatches * shape.patchDim,
                                 from: step, to: end)
        let observers = self.observers()
        while step < end {
            for o in observers { try o.weightsReady(at: step) }
            let patches = try batches.batch(step)
            let inputs = StepInputs(step: step, batch: settings.batchSize, sampler: sampler, schedules: schedules)
            let t0 = DispatchTime.now().uptimeNanoseconds
            // This rank's share of the batch (all of it on one process).
            let r = trainer.step(patches: patches, masks: inputs.masks.slice(localSamples), lr: inputs.lr,
                                 weightDecay: inputs.weightDecay, momentum: inputs.momentum)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if let fault = JEPATrainer.fault(of: r) {
                batches.drain()
                try? writeLog()  // the steps up to the failure, for diagnosis
                throw PretrainError("step \(step): \(fault); training stopped (the last good checkpoint is \(checkpointPath))")
            }
            let record = StepRecord(inputs: inputs, result: r, batch: settings.batchSize, seconds: seconds)
            for o in observers { o.didStep(record) }
            step += 1
            if step % options.checkpointEvery == 0 || step == end { try saveCheckpoint() }
        }
        batches.drain()
        if step == totalSteps {
            for o in observers { try o.weightsReady(at: step) }
            if curve != nil { try writeLog() }
        }
        // No step, no checkpoint yet: the artifact is the initial weights.
        if totalSteps == 0 { try saveCheckpoint() }
        for o in observers { o.finished() }
        // Collective: the largest peak of any rank (the figure a memory budget is about).
        peakResidentBytes = Int(comm.range([UInt64(ResidentMemory.peakBytes())]).max[0])
        if let averager, history.stepsRun > 0 {
            let ms = String(format: "%.1f", 1000 * averager.waitSeconds / Double(history.stepsRun))
            log.info("gradient allreduce over \(comm.size) ranks: \(ms) ms per step spent waiting for the sums")
        }
        return step == totalSteps
    }

    /// Who watches this rank's loop: the curve and progress on rank 0 only.
    func observers() -> [any TrainingObserver] {
        var list: [any TrainingObserver] = []
        if let curve {
            list.append(CurveWatch(curve, trainer: trainer, totalSteps: totalSteps, batchSize: settings.batchSize, log: log))
        }
        list.append(GradientWatch(log: comm.isRoot ? log : nil))
        list.append(history)
        if comm.isRoot { list.append(ProgressWatch(steps: totalSteps - step, interval: options.progressInterval, curve: curve)) }
        return list
    }

    var targetEncoder: VisionTransformer { trainer.targetEncoder }

    /// The log first: resume keeps only rows before the checkpoint's step, so
    /// a log ahead of its checkpoint is harmless and one behind never happens.
    /// Collective: every rank checks that the replicas still agree.
    func saveCheckpoint() throws {
        if let problem = ReplicaState.divergence(trainer, comm: comm) {
            throw PretrainError("step \(step): \(problem); training stopped")
        }
        guard comm.isRoot else { return }
        try writeLog()
        try Checkpoint.save(trainer, step: step, epoch: step / data.itersPerEpoch, config: configText, build: build,
                            to: checkpointPath)
    }

    func writeLog() throws {
        guard comm.isRoot else { return }
        try Self.replace(logPath, with: TrainingLogRow.text(of: history.rows))
        if let curve { try Self.replace(curvePath, with: curve.csv) }
    }

    /// Writes `text` next to `path` and renames it into place.
    static func replace(_ path: String, with text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        guard rename(path + ".tmp", path) == 0 else { throw PretrainError("\(path): cannot write") }
    }

    func result() -> StageResult {
        let h = history
        let imagesPerSecond = h.trainSeconds > 0 ? Double(h.stepsRun * settings.batchSize) / h.trainSeconds : 0
        return StageResult(
            counts: ["steps": step, "epochs": step / data.itersPerEpoch, "train_images": data.count],
            details: .object([
                "loss_first": .double(h.losses.first ?? .nan), "loss_last": .double(h.losses.last ?? .nan),
                "images_per_second": .double(imagesPerSecond), "threads": .int(Parallel.threadCount),
                "peak_resident_mib": .double(Double(peakResidentBytes) / 1_048_576),
                "encoder": .object(["embed_dim": .int(shape.encoder.embedDim), "depth": .int(shape.encoder.depth),
                                    "num_heads": .int(shape.encoder.numHeads), "mlp_ratio": .double(shape.encoder.mlpRatio)]),
                "predictor": .object(["embed_dim": .int(shape.predictorDim), "depth": .int(shape.predictorDepth)]),
                "learning_curve": curve.map { c in .object([
                    "every_steps": .int(c.every), "queries": .int(c.queryCount), "bank": .int(c.bankCount),
                    "knn_k": .int(c.options.knnK), "knn_temperature": .double(c.options.knnTemperature),
                    "holdout_fraction": .double(c.options.holdoutFraction), "seed": .int(Int(c.options.seed)),
                    "knn_top1_first": .double(c.points.first?.top1 ?? .nan),
                    "knn_top1_last": .double(c.points.last?.top1 ?? .nan),
                ]) } ?? .null,
            ]),
            timings: ["train_s": h.trainSeconds, "allreduce_wait_s": averager?.waitSeconds ?? 0,
                      "eval_s": curve?.seconds ?? 0],
            tools: ["gemm": GEMM.backendDescription, "threads": "OpenMP (libgomp), \(Parallel.threadCount)",
                    "ranks": comm.size > 1 ? "MPI, \(comm.size) ranks" : "1 process",
                    // Where another machine's is equal, its GEMMs give these bits (a bf16 run's differ Zen 4 to Zen 5).
                    "gemm_fingerprint": BFloat16Arithmetic.fingerprint(trainer.encoder.precision)]
                .merging(trainer.encoder.precision == .bfloat16 ? ["bfloat16": BFloat16GEMM.routeDescription] : [:]) { a, _ in a })
    }
}
