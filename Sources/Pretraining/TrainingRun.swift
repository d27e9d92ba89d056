import Dispatch
import Distributed
import Foundation
import Interop
import Logging
import Numerics
import Pipeline
import Threads
import Training

/// The training loop: batches prepared one step ahead on a background queue,
/// masks and schedules as pure functions of the step (so a resumed run
/// repeats an uninterrupted one), a log row per step, checkpoints.
///
/// Data-parallel over `comm`'s ranks: the global batch (data.batch_size) and
/// its masks are the same on every rank, each rank trains on its slice of
/// it, gradients are averaged, and only rank 0 writes the log and
/// checkpoints. N ranks therefore follow one process's run up to float
/// rounding, and a checkpoint resumes with any rank count.
final class TrainingRun {
    let settings: PretrainSettings
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
    var step = 0
    var rows: [TrainingLogRow] = []
    var losses: [Double] = []
    var trainSeconds = 0.0
    var stepsRun = 0
    /// The largest peak resident memory of any rank, set when `train` returns.
    var peakResidentBytes = 0
    var gradientMonitor = GradientMonitor()

    var totalSteps: Int { schedules.trainingSteps }
    var checkpointPath: String { "\(workDir)/checkpoint.h5" }
    var logPath: String { "\(workDir)/log.csv" }
    var curvePath: String { "\(workDir)/\(LearningCurve.fileName)" }

    init(settings: PretrainSettings, options: PretrainOptions, shape: JEPAShape, data: TrainingData, sampler: MaskSampler, workDir: String,
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
        rows = try TrainingLogRow.parse(text, path: logPath).filter { $0.step < step }
        losses = rows.map(\.loss)
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
        let b = settings.batchSize, sample = shape.numPatches * shape.patchDim
        let local = localSamples
        let buffers = [FloatBuffer(local.count * sample), FloatBuffer(local.count * sample)]
        let queue = DispatchQueue(label: "ijepa.prefetch")
        let ready = DispatchSemaphore(value: 0)
        let ipe = data.itersPerEpoch
        var epochOrder = EpochOrder(data)
        // A streamed split reads its shards here: a read error reaches the step loop.
        let failure = PrefetchFailure()
        func prefetch(_ s: Int) {
            let o = epochOrder.forStep(s), buffer = buffers[s % 2], data = self.data
            queue.async {
                do { try data.batch(step: s, order: o, samples: local, into: buffer.pointer) } catch { failure.error = error }
                ready.signal()
            }
        }
        let progress = comm.isRoot
            ? Progress("pretrain", total: totalSteps - step, unit: "steps", interval: options.progressInterval) : nil
        let end = min(totalSteps, stopAfter.map { step + $0 } ?? totalSteps)
        if step < end { prefetch(step) }
        while step < end {
            try evaluateIfDue()
            ready.wait()
            if let error = failure.error { throw error }
            let s = step
            if s + 1 < end { prefetch(s + 1) }
            let inputs = StepInputs(step: s, batch: b, sampler: sampler, schedules: schedules)
            let masks = inputs.masks, lr = inputs.lr, wd = inputs.weightDecay, m = inputs.momentum
            let t0 = DispatchTime.now().uptimeNanoseconds
            // This rank's share of the batch (all of it on one process).
            let r = trainer.step(patches: buffers[s % 2].pointer, masks: masks.slice(local), lr: lr, weightDecay: wd,
                                 momentum: m)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if let fault = JEPATrainer.fault(of: r) {
                queue.sync {}
                try? writeLog()  // the steps up to the failure, for diagnosis
                throw PretrainError("step \(s): \(fault); training stopped (the last good checkpoint is \(checkpointPath))")
            }
            if let warning = gradientMonitor.observe(r.gradNorm, step: s), comm.isRoot { log.warning("\(warning)") }
            trainSeconds += dt
            stepsRun += 1
            losses.append(r.loss)
            rows.append(TrainingLogRow(epoch: s / ipe, step: s, loss: r.loss, lr: lr, weightDecay: wd, momentum: m,
                                       contextTokens: masks.contextCount, targetTokens: masks.targetCount,
                                       msPerStep: dt * 1000, imagesPerSecond: Double(b) / dt,
                                       targetFeatureStd: r.targetFeatureStd, gradNorm: r.gradNorm))
            step += 1
            let knn = curve?.points.last.map { String(format: ", k-NN %.1f%%", 100 * $0.top1) } ?? ""
            progress?.advance(by: 1, note: String(format: "loss %.4f, %.0f images/s", r.loss, Double(b) / dt) + knn)
            if step % options.checkpointEvery == 0 || step == end { try saveCheckpoint() }
        }
        queue.sync {}
        if step == totalSteps {
            try evaluateIfDue()
            if curve != nil { try writeLog() }
        }
        // No step, no checkpoint yet: the artifact is the initial weights.
        if totalSteps == 0 { try saveCheckpoint() }
        _ = progress?.finish()
        // Collective: the largest peak of any rank (the figure a memory budget is about).
        peakResidentBytes = Int(comm.range([UInt64(ResidentMemory.peakBytes())]).max[0])
        if let averager, stepsRun > 0 {
            let ms = String(format: "%.1f", 1000 * averager.waitSeconds / Double(stepsRun))
            log.info("gradient allreduce over \(comm.size) ranks: \(ms) ms per step spent waiting for the sums")
        }
        return step == totalSteps
    }

    /// Scores the target encoder when the curve is due at this step.
    func evaluateIfDue() throws {
        guard let curve, curve.isDue(step, totalSteps: totalSteps), !curve.has(step) else { return }
        let p = try curve.evaluate(targetEncoder, step: step, batchSize: settings.batchSize)
        log.info("learning curve, step \(step) (epoch \(String(format: "%.2f", p.epoch))): k-NN top-1 \(String(format: "%.2f", 100 * p.top1))% (\(curve.queryCount) holdout images against \(curve.bankCount) train images, \(String(format: "%.1f", p.seconds)) s)")
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
        try Self.replace(logPath, with: TrainingLogRow.text(of: rows))
        if let curve { try Self.replace(curvePath, with: curve.csv) }
    }

    /// Writes `text` next to `path` and renames it into place.
    static func replace(_ path: String, with text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        guard rename(path + ".tmp", path) == 0 else { throw PretrainError("\(path): cannot write") }
    }

    func result() -> StageResult {
        let imagesPerSecond = trainSeconds > 0 ? Double(stepsRun * settings.batchSize) / trainSeconds : 0
        return StageResult(
            counts: ["steps": step, "epochs": step / data.itersPerEpoch, "train_images": data.count],
            details: .object([
                "loss_first": .double(losses.first ?? .nan), "loss_last": .double(losses.last ?? .nan),
                "images_per_second": .double(imagesPerSecond), "threads": .int(Parallel.threadCount),
                "peak_resident_mib": .double(Double(peakResidentBytes) / 1_048_576),
                "encoder": .object(["embed_dim": .int(shape.encoder.embedDim), "depth": .int(shape.encoder.depth),
                                    "num_heads": .int(shape.encoder.numHeads), "mlp_ratio": .double(shape.encoder.mlpRatio)]),
                "predictor": .object(["embed_dim": .int(shape.predictorDim), "depth": .int(shape.predictorDepth)]),
                "learning_curve": curve.map { c in .object([
                    "every_steps": .int(c.every), "queries": .int(c.queryCount), "bank": .int(c.bankCount),
                    "knn_k": .int(c.settings.knnK), "knn_temperature": .double(c.settings.knnTemperature),
                    "holdout_fraction": .double(c.settings.holdoutFraction), "seed": .int(Int(c.settings.seed)),
                    "knn_top1_first": .double(c.points.first?.top1 ?? .nan),
                    "knn_top1_last": .double(c.points.last?.top1 ?? .nan),
                ]) } ?? .null,
            ]),
            timings: ["train_s": trainSeconds, "allreduce_wait_s": averager?.waitSeconds ?? 0,
                      "eval_s": curve?.seconds ?? 0],
            tools: ["gemm": GEMM.backendDescription, "threads": "OpenMP (libgomp), \(Parallel.threadCount)",
                    "ranks": comm.size > 1 ? "MPI, \(comm.size) ranks" : "1 process"])
    }
}

/// The prefetch thread's read error, handed to the step loop (which reads it
/// only after the semaphore that follows the write).
/// Sendable: written on the prefetch queue before `ready.signal()`, read after `ready.wait()`.
private final class PrefetchFailure: @unchecked Sendable {
    var error: (any Error)? = nil
}
