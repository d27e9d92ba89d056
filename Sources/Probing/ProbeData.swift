import Evaluation
import Foundation
import Numerics
import Pipeline
import Preparation
import Pretraining
import Shards

/// The labeled images of a probe run: the train split, the val split when
/// it is the evaluation set, and which rows train the probes and which
/// score them.
final class ProbeData {
    let train: LabeledSplit
    /// Nil when the evaluation set is carved from train (eval_split: holdout).
    let val: LabeledSplit?
    /// Rows of train the probes learn from.
    let trainRows: [Int]
    /// Rows of the evaluation source (val, or train for holdout).
    let evalRows: [Int]
    let trainLabels: [Int32]
    let evalLabels: [Int32]
    let classes: Int
    let evalDescription: String

    init(store: ArtifactStore, prepareKey: String, settings: ProbeInputs) throws {
        let prepDir = store.directory(stage: PrepareStage.name, key: prepareKey)
        let manifest = try store.requireInput(stage: PrepareStage.name, key: prepareKey, makeTarget: "prepare")
        let files = (manifest["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }.sorted()
        func shards(_ split: String) -> [String] {
            files.filter { $0.hasPrefix("\(split)-") && $0.hasSuffix(".h5") }.map { "\(prepDir)/\($0)" }
        }
        // Patches are read from the shards batch by batch: only features stay in memory.
        let train = try LabeledSplit(name: "train", shardPaths: shards("train"), inMemory: false)
        self.train = train
        classes = train.classCount
        let counts = train.classCounts()
        switch settings.evalSplit {
        case .val:
            guard !shards("val").isEmpty else {
                throw PipelineError("\(prepDir): no val shards (prepare made no val split); set probe.eval_split: holdout to evaluate on part of train")
            }
            let v = try LabeledSplit(name: "val", shardPaths: shards("val"), inMemory: false)
            guard v.attributes.numPatches == train.attributes.numPatches, v.attributes.patchDim == train.attributes.patchDim,
                  v.attributes.classNames == train.attributes.classNames else {
                throw PipelineError("\(v.shards[0].path): image layout or class names differ from the train shards")
            }
            if let bad = v.labels.firstIndex(where: { counts[Int($0)] == 0 }) {
                let c = Int(v.labels[bad])
                throw PipelineError("\(v.file(of: bad)): val class \(c) (\(train.attributes.classNames[c])) has no train images")
            }
            val = v
            trainRows = Array(0..<train.count)
            evalRows = Array(0..<v.count)
            evalLabels = v.labels
            evalDescription = "val split"
        case .holdout:
            val = nil
            let (fit, hold) = LabelSampling.trainHoldout(labels: train.labels, classes: classes,
                                                        fraction: settings.holdoutFraction, seed: settings.seed)
            trainRows = fit
            evalRows = hold
            evalLabels = hold.map { train.labels[$0] }
            evalDescription = "train holdout (\(Int((settings.holdoutFraction * 100).rounded()))% of train)"
        }
        let rows = trainRows
        trainLabels = rows.map { train.labels[$0] }
    }

    func shape(_ p: PretrainInputs) -> JEPAShape {
        let a = train.attributes
        return p.shape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize)
    }
}
