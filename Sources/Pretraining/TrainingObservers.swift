import Foundation
import Logging
import Numerics
import Pipeline
import Training

/// One finished training step, as the observers see it.
struct StepRecord {
    let inputs: StepInputs
    let result: JEPATrainer.StepResult
    /// Images in the global batch.
    let batch: Int
    let seconds: Double
    var step: Int { inputs.step }
    var imagesPerSecond: Double { Double(batch) / seconds }
}

/// What watches the training loop: the weights each step starts from (and
/// the final ones), and each finished step. The loop calls every observer
/// in its list; none changes what is trained.
protocol TrainingObserver: AnyObject {
    /// The weights after `step` steps, before step `step` runs (and after the last step).
    func weightsReady(at step: Int) throws
    func didStep(_ record: StepRecord)
    func finished()
}

extension TrainingObserver {
    func weightsReady(at step: Int) throws {}
    func didStep(_ record: StepRecord) {}
    func finished() {}
}

/// Every step's log row and loss, and the time spent in steps: what log.csv,
/// a resume and the manifest read.
final class TrainingHistory: TrainingObserver {
    let itersPerEpoch: Int
    var rows: [TrainingLogRow] = []
    var losses: [Double] = []
    var trainSeconds = 0.0
    var stepsRun = 0

    init(itersPerEpoch: Int) { self.itersPerEpoch = itersPerEpoch }

    /// Keeps the rows of the steps before `step` (a resumed checkpoint's).
    func restore(_ rows: [TrainingLogRow], before step: Int) {
        self.rows = rows.filter { $0.step < step }
        losses = self.rows.map(\.loss)
    }

    func didStep(_ r: StepRecord) {
        trainSeconds += r.seconds
        stepsRun += 1
        losses.append(r.result.loss)
        rows.append(TrainingLogRow(epoch: r.step / itersPerEpoch, step: r.step, loss: r.result.loss, lr: r.inputs.lr,
                                   weightDecay: r.inputs.weightDecay, momentum: r.inputs.momentum,
                                   contextTokens: r.inputs.masks.contextCount, targetTokens: r.inputs.masks.targetCount,
                                   msPerStep: r.seconds * 1000, imagesPerSecond: r.imagesPerSecond,
                                   targetFeatureStd: r.result.targetFeatureStd, gradNorm: r.result.gradNorm))
    }
}

/// Names the steps whose gradient norm jumps (`GradientMonitor`); every rank
/// keeps the statistics, rank 0 logs.
final class GradientWatch: TrainingObserver {
    private var monitor = GradientMonitor()
    private let log: Logger?

    init(log: Logger?) { self.log = log }

    func didStep(_ r: StepRecord) {
        if let warning = monitor.observe(r.result.gradNorm, step: r.step) { log?.warning("\(warning)") }
    }
}

/// The learning curve: scores the target encoder at the steps it is due.
final class CurveWatch: TrainingObserver {
    let curve: LearningCurve
    private let trainer: JEPATrainer
    private let totalSteps: Int
    private let batchSize: Int
    private let log: Logger

    init(_ curve: LearningCurve, trainer: JEPATrainer, totalSteps: Int, batchSize: Int, log: Logger) {
        self.curve = curve
        self.trainer = trainer
        self.totalSteps = totalSteps
        self.batchSize = batchSize
        self.log = log
    }

    func weightsReady(at step: Int) throws {
        guard curve.isDue(step, totalSteps: totalSteps), !curve.has(step) else { return }
        let p = try curve.evaluate(trainer.targetEncoder, step: step, batchSize: batchSize)
        log.info("learning curve, step \(step) (epoch \(String(format: "%.2f", p.epoch))): k-NN top-1 \(String(format: "%.2f", 100 * p.top1))% (\(curve.queryCount) holdout images against \(curve.bankCount) train images, \(String(format: "%.1f", p.seconds)) s)")
    }
}

/// Steps done of the run, with the loss, the rate and the curve's last k-NN.
final class ProgressWatch: TrainingObserver {
    private let progress: Pipeline.Progress
    private let curve: LearningCurve?

    init(steps: Int, interval: Double, curve: LearningCurve?) {
        progress = Pipeline.Progress("pretrain", total: steps, unit: "steps", interval: interval)
        self.curve = curve
    }

    func didStep(_ r: StepRecord) {
        let knn = curve?.points.last.map { String(format: ", k-NN %.1f%%", 100 * $0.top1) } ?? ""
        progress.advance(by: 1, note: String(format: "loss %.4f, %.0f images/s", r.result.loss, r.imagesPerSecond) + knn)
    }

    func finished() { _ = progress.finish() }
}
