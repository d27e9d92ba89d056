import Evaluation
import Foundation
import Numerics
import Pipeline
import Random

/// The learning curve's file in a Pretrain artifact, written by the
/// training run and read back by a resumed run and by Report.
public enum LearningCurveFile {
    public static let name = "eval.csv"

    public struct Point: Equatable, Sendable {
        public let step: Int
        public let epoch: Double
        public let top1: Double
        public let seconds: Double
    }

    /// The points of an eval.csv's text (lines that are not a point, such as
    /// a torn last line, are skipped).
    public static func points(_ text: String) -> [Point] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 4, let s = Int(f[0]), let e = Double(f[1]), let t = Double(f[2]),
                  let sec = Double(f[3]) else { return nil }
            return Point(step: s, epoch: e, top1: t, seconds: sec)
        }
    }
}

/// The learning curve: k-NN top-1 of the target encoder during training, on
/// a fixed stratified sample of the train holdout (the images that
/// `probe.eval_split: holdout` scores) against a fixed stratified sample of
/// the rest of train, with the Probe's k-NN (standardised features, DINO's
/// weighted vote). The samples depend only on the labels and the probe keys,
/// so every run of a sweep is scored on the same images; evaluating changes
/// nothing in training.
final class LearningCurve {
    struct Options: Sendable {
        var period: TrainingPeriod
        var queries: Int
        var bank: Int
        var knnK: Int
        var knnTemperature: Double
        var holdoutFraction: Double
        var seed: UInt64
    }

    typealias Point = LearningCurveFile.Point

    static let header = "step,epoch,knn_top1,seconds"
    static var fileName: String { LearningCurveFile.name }

    let options: Options
    /// Queries first, then the bank.
    let images: LabeledSplit
    let queryCount: Int
    let every: Int
    let itersPerEpoch: Int
    private(set) var points: [Point] = []
    private(set) var seconds = 0.0

    var bankCount: Int { images.count - queryCount }

    /// `holdImages`: keep the curve's images in memory (read once) instead of
    /// reading them from the shards at each evaluation, which inflates every
    /// compressed chunk they touch again (an evaluation of the default took
    /// 6.6 s in float32 so, 3.7 s held: docs/performance.md, Round 6).
    init(trainShards: [String], options: Options, every: Int, itersPerEpoch: Int, holdImages: Bool) throws {
        // Labels for the whole split; patches only for the rows drawn.
        let train = try LabeledSplit(name: "train", shardPaths: trainShards, inMemory: false)
        let classes = max(train.classCount, 1)
        let (fit, holdout) = LabelSampling.trainHoldout(labels: train.labels, classes: classes,
                                                        fraction: options.holdoutFraction, seed: options.seed)
        guard !holdout.isEmpty, !fit.isEmpty else {
            throw PipelineError("\(trainShards[0]): too few labelled train images for a learning curve (logging.eval_every)")
        }
        let queries = LabelSampling.stratifiedSubset(holdout, labels: train.labels, classes: classes,
                                                     count: options.queries, seed: SeedStream.curveQueries(options.seed))
        let bank = LabelSampling.stratifiedSubset(fit, labels: train.labels, classes: classes,
                                                  count: options.bank, seed: SeedStream.curveBank(options.seed))
        images = try LabeledSplit(train, rows: queries + bank, name: "learning curve", inMemory: holdImages)
        queryCount = queries.count
        self.options = options
        self.every = every
        self.itersPerEpoch = itersPerEpoch
    }

    /// Evaluated at step 0, every `every` steps and at the last step.
    func isDue(_ step: Int, totalSteps: Int) -> Bool { step % every == 0 || step == totalSteps }

    func has(_ step: Int) -> Bool { points.last.map { $0.step >= step } ?? false }

    /// Scores `encoder` (the target encoder after `step` updates) and
    /// records the point.
    @discardableResult
    func evaluate(_ encoder: VisionTransformer, step: Int, batchSize: Int) throws -> Point {
        let t0 = Date()
        let top1 = try Self.knnTop1(encoder, images: images, queryCount: queryCount, batchSize: batchSize,
                                k: options.knnK, temperature: options.knnTemperature)
        let dt = Date().timeIntervalSince(t0)
        seconds += dt
        let p = Point(step: step, epoch: Double(step) / Double(itersPerEpoch), top1: top1, seconds: dt)
        points.append(p)
        return p
    }

    /// Top-1 of the first `queryCount` images against the rest, on the
    /// pooled final features standardised with the rest's statistics.
    static func knnTop1(_ encoder: VisionTransformer, images: LabeledSplit, queryCount q: Int, batchSize: Int,
                        k: Int, temperature: Double) throws -> Double {
        let dim = FeatureExtractor.dimension(of: .last, embed: encoder.shape.encoder.embedDim)
        var features = try FeatureExtractor.encoderFeatures(encoder, kind: .last, split: images, batchSize: batchSize,
                                                        progress: nil)
        let bankLabels = Array(images.labels[q...])
        let predicted = features.withUnsafeMutableBufferPointer { f -> [Int32] in
            let bank = f.baseAddress! + q * dim
            Standardizer(x: bank, count: images.count - q, features: dim).apply(f.baseAddress!, count: images.count)
            return KNNClassifier.predict(train: bank, trainLabels: bankLabels, trainCount: images.count - q,
                                         query: f.baseAddress!, queryCount: q, dim: dim,
                                         classes: max(images.classCount, 1), k: k, temperature: temperature)
        }
        let correct = zip(predicted, images.labels.prefix(q)).filter { $0 == $1 }.count
        return Double(correct) / Double(q)
    }

    // MARK: eval.csv

    var csv: String {
        ([Self.header] + points.map {
            "\($0.step),\(String(format: "%.4f", $0.epoch)),\($0.top1),\(String(format: "%.2f", $0.seconds))"
        }).joined(separator: "\n") + "\n"
    }

    /// Keeps the points of a resumed run's checkpoint (steps before `step`;
    /// the point at `step` is scored again from the restored weights).
    func restore(csvAt path: String, before step: Int) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        points = LearningCurveFile.points(text).filter { $0.step < step }
    }
}
