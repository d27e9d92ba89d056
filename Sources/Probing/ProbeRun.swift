import Evaluation
import Foundation
import Logging
import Numerics
import Pipeline
import Preparation
import Pretraining
import Training

/// One build of the probe artifact: what every subject's probe shares (the
/// settings, the labeled data, the upstream keys, the store and log), so
/// the steps take a subject and its features rather than long parameter lists.
struct ProbeRun {
    let context: StageContext
    let settings: ProbeInputs
    let pretrain: PretrainInputs
    let options: ProbeOptions
    let data: ProbeData
    /// The pretrain artifact, its checkpoint verified once (deep) before anything else.
    let pretrainDirectory: String
    var prepareKey: String { context.upstreamKey(PrepareStage.self) }
    var pretrainKey: String { context.upstreamKey(PretrainStage.self) }
    var log: Logger { context.log }

    init(_ context: StageContext) throws {
        self.context = context
        pretrainDirectory = try context.upstream(PretrainStage.self, makeTarget: "pretrain").directory
        let s = context.config.settings
        settings = ProbeStage.inputs(s)
        pretrain = PretrainStage.inputs(s)
        options = ProbeOptions(s)
        data = try ProbeData(store: context.store, prepareKey: context.upstreamKey(PrepareStage.self), settings: settings)
        try checkMemory()
        context.log.info("key \(context.key): \(data.trainRows.count) train images, \(data.evalRows.count) \(data.evalDescription) images, \(data.classes) classes, features \(settings.featureKind.rawValue)")
    }

    /// Refuses, before extracting anything, a probe whose estimated peak
    /// exceeds the memory available now.
    func checkMemory() throws {
        let shape = data.shape(pretrain)
        let estimate = ProbeMemoryEstimate(
            shape: shape, featureDim: FeatureExtractor.dimension(of: settings.featureKind, embed: shape.encoder.embedDim),
            pixelDim: PixelBaselineRun(self).pooling.outputDim, images: data.train.count + (data.val?.count ?? 0),
            probed: data.trainRows.count + data.evalRows.count, classes: data.classes, settings: settings,
            batchSize: options.batchSize)
        if let line = try MachineMemory.check(
            stage: "probe", needs: estimate.total, summary: estimate.summary,
            remedy: "lower probe.pixel_dims, probe.pixel_limit_mb or probe.batch_size, use probe.features: last (a quarter of last4's features), or leave pixels out of probe.baselines") {
            log.info("\(line)")
        }
    }

    /// The frozen encoder's weights: the pretrain artifact's target encoder,
    /// or the initial weights (Pretrain starts the target encoder as a copy
    /// of the encoder initialised with meta.seed).
    func model(_ encoder: ProbedEncoder) throws -> VisionTransformer {
        let model = VisionTransformer(shape: data.shape(pretrain), precision: pretrain.precision)
        switch encoder {
        case .pretrained:
            try Checkpoint.loadModule("target_encoder", into: model, from: "\(pretrainDirectory)/checkpoint.h5")
        case .initialWeights:
            model.initialize(seed: pretrain.seed, patchStd: pretrain.model.patchInitStd)
        }
        return model
    }

    /// An encoder's features of the train split (and of val when it is the
    /// evaluation set), split by split from the feature cache; the encoder
    /// is built only when some split has to be extracted.
    func features(_ encoder: ProbedEncoder) throws -> EncoderFeatures {
        var loaded: VisionTransformer? = nil
        let shared = { () throws -> VisionTransformer in
            if let loaded { return loaded }
            let m = try model(encoder)
            loaded = m
            return m
        }
        let dim = FeatureExtractor.dimension(of: settings.featureKind, embed: data.shape(pretrain).encoder.embedDim)
        try MachineMemory.reserve(4 * Double(dim) * Double(data.train.count + (data.val?.count ?? 0)),
                                  for: "probe: \(encoder.subject.rawValue) features", keys: "probe.features (last holds a quarter of last4)")
        var parts: [FeatureArtifact.Split] = []
        for split in [data.train] + (data.val.map { [$0] } ?? []) {
            let m = FeatureArtifact.material(encoder, split: split.name, config: context.config, prepareKey: prepareKey,
                                             pretrainKey: pretrainKey)
            let part = try FeatureArtifact.obtain(m, split: split, kind: settings.featureKind, options: options,
                                                  store: context.store, force: context.force, log: log, encoder: shared)
            if part.reused { log.info("\(encoder.subject.rawValue): \(split.name) features from \(context.store.directory(stage: FeatureArtifact.stage, key: part.key))") }
            parts.append(part)
        }
        return EncoderFeatures(train: parts[0].values, val: parts.count > 1 ? parts[1].values : nil, dim: parts[0].dim,
                               seconds: parts.map(\.seconds).reduce(0, +), artifacts: parts.map(\.key))
    }

    /// A baseline's results: from its artifact when up to date, else
    /// computed and published (through the same driver as every stage).
    func baseline(_ baseline: BaselineSettings.Baseline) throws -> SubjectMetrics {
        let subject = ProbeSubject(baseline)
        let m = ProbeStage.baselineMaterial(baseline, config: context.config, prepareKey: prepareKey)
        let outcome = try StageDriver.run(material: m, config: context.config, store: context.store, force: context.force,
                                          log: log, reused: "\(subject.rawValue): reusing",
                                          wrote: "\(subject.rawValue): wrote") { _, folder in
            let result: SubjectMetrics
            switch baseline {
            case .initialWeights: result = try score(subject, try features(.initialWeights))
            case .pixels: result = try PixelBaselineRun(self).metrics()
            }
            try RecordFile.write(result, to: "\(folder)/\(ProbeFiles.baselineName)")
            return StageResult()
        }
        return try RecordFile.read(SubjectMetrics.self, from: "\(outcome.directory)/\(ProbeFiles.baselineName)")
    }

    /// Every probe on an encoder's features of the probe's rows.
    func score(_ subject: ProbeSubject, _ features: EncoderFeatures) throws -> SubjectMetrics {
        let dim = features.dim
        let inputs = LabeledFeatures(
            train: ProbeEvaluation.gather(features.train, rows: data.trainRows, dim: dim), trainLabels: data.trainLabels,
            eval: ProbeEvaluation.gather(features.val ?? features.train, rows: data.evalRows, dim: dim),
            evalLabels: data.evalLabels, dim: dim, images: data.train.count + (data.val?.count ?? 0),
            seconds: features.seconds, artifacts: features.artifacts)
        return try score(subject, inputs)
    }

    /// Every probe on a subject's inputs.
    func score(_ subject: ProbeSubject, _ inputs: LabeledFeatures) throws -> SubjectMetrics {
        // Per label fraction: a standardised copy of the rows and the linear probe's fit/held-out split, and the solver.
        let rows = Double(inputs.trainLabels.count + inputs.evalLabels.count)
        try MachineMemory.reserve(8 * rows * Double(inputs.dim)
                                  + LogisticRegression.solverBytes(features: inputs.dim, classes: data.classes),
                                  for: "probe: \(subject.rawValue) probes",
                                  keys: subject == .pixels ? "probe.pixel_dims or probe.pixel_limit_mb" : "probe.features")
        let results = ProbeEvaluation.run(train: inputs.train, trainLabels: inputs.trainLabels, eval: inputs.eval,
                                          evalLabels: inputs.evalLabels, dim: inputs.dim, classes: data.classes,
                                          settings: settings, subject: subject.rawValue, log: log)
        return SubjectMetrics(subject: subject.rawValue, title: subject.title,
                              features: subject == .pixels ? "pixels" : settings.featureKind.rawValue, dim: inputs.dim,
                              extractImagesPerSecond: Double(inputs.images) / inputs.seconds, extractSeconds: inputs.seconds,
                              featureStd: FeatureSpread.meanStd(inputs.train, width: inputs.dim), results: results,
                              featureArtifacts: inputs.artifacts.isEmpty ? nil : inputs.artifacts)
    }
}

/// An encoder's features of the probe's train split and of its evaluation
/// source (val, or nil when the holdout is carved from train).
struct EncoderFeatures {
    let train: [Float]  // (train.count, dim)
    let val: [Float]?   // (val.count, dim)
    let dim: Int
    let seconds: Double
    /// The feature artifacts read or written, by key.
    let artifacts: [String]
}

/// What the classifiers of one subject see: the rows that train them and
/// the rows that score them, and how the features were obtained.
struct LabeledFeatures {
    let train: [Float]  // (trainLabels.count, dim)
    let trainLabels: [Int32]
    let eval: [Float]   // (evalLabels.count, dim)
    let evalLabels: [Int32]
    let dim: Int
    /// Images whose features were obtained, in `seconds`.
    let images: Int
    let seconds: Double
    let artifacts: [String]
}
