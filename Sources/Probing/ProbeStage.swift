import Evaluation
import Foundation
import Logging
import Numerics
import Pipeline
import Preparation
import Pretraining
import Random
import Shards
import Threads
import Training

/// Probe: linear and k-NN probes on frozen features of the pretrained target
/// encoder, next to the same probes on raw pixels and on the encoder at its
/// initial weights. The baselines are artifacts of their own
/// (`probe-pixels/`, `probe-random/`) keyed only by what they depend on, so
/// a sweep over pretraining settings computes them once; the encoders'
/// features are cached per split (`features/`, `FeatureArtifact`), so a
/// probe-only change extracts nothing. The probe artifact holds every
/// subject's results: metrics.json, metrics.csv, confusion/.
public enum ProbeStage: Stage {
    public static let name = "probe"
    public static let formatVersion = 1
    public static var upstream: [any Stage.Type] { [PrepareStage.self, PretrainStage.self] }
    public static func settings(_ s: PipelineSettings) -> ProbeSettings { ProbeSettings(s) }

    /// What a probe measures the features of.
    public enum Subject: String, CaseIterable, Sendable {
        case ijepa, randomInit = "random_init", pixels

        var stage: String {
            switch self {
            case .ijepa: return ProbeStage.name
            case .randomInit: return "probe-random"
            case .pixels: return "probe-pixels"
            }
        }

        public var title: String {
            switch self {
            case .ijepa: return "I-JEPA target encoder"
            case .randomInit: return "same encoder, initial weights"
            case .pixels: return "raw pixels"
            }
        }

        /// Its name in probe.baselines; nil for the I-JEPA encoder, always probed.
        var baseline: BaselineChoice.Baseline? {
            switch self {
            case .ijepa: return nil
            case .randomInit: return .initialWeights
            case .pixels: return .pixels
            }
        }
    }

    /// The subjects a probe artifact reports: I-JEPA and the chosen baselines.
    static func probedSubjects(_ settings: ProbeSettings) -> [Subject] {
        Subject.allCases.filter { $0.baseline.map(settings.baselines.chosen.contains) ?? true }
    }

    public struct Outcome: Sendable {
        public let key: String
        public let directory: String
        public let built: Bool
        public let metrics: ProbeMetrics
    }

    /// Both baselines and the encoders' feature caches.
    public static func auxiliaryArtifacts(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String)] {
        let settings = ProbeSettings(config.settings)
        let material = try keyMaterial(config, store: store)
        let prepareKey = material.upstreamKey(PrepareStage.self), pretrainKey = material.upstreamKey(PretrainStage.self)
        let splits = settings.evalSplit == .val ? ["train", "val"] : ["train"]
        let chosen = probedSubjects(settings)
        let features = [Subject.ijepa, .randomInit].filter(chosen.contains).flatMap { subject in
            splits.map { FeatureArtifact.material(subject, split: $0, config: config, prepareKey: prepareKey, pretrainKey: pretrainKey) }
        }
        return [Subject.randomInit, .pixels].filter(chosen.contains).map {
            let m = baselineMaterial($0, config: config, prepareKey: prepareKey)
            return (m.stage, m.key)
        } + features.map { ($0.stage, $0.key) }
    }

    static func baselineMaterial(_ subject: Subject, config: PipelineConfig, prepareKey: String) -> ArtifactKeyMaterial {
        // Raw pixels do not depend on the feature choice; initial weights
        // depend on the architecture and seed.
        // (With meta.read_checkpoint the run starts from that file instead;
        // this baseline stays the seed's initial weights, and says so.)
        let s = config.settings
        switch subject {
        case .randomInit:
            return ArtifactKeyMaterial(stage: subject.stage, formatVersion: formatVersion,
                                       settings: InitialWeightsProbeSettings(features: s.probe.features, evaluation: s.probe.evaluation,
                                                                                    weights: InitialWeights(s)),
                                       upstream: ["prepare": prepareKey])
        case .pixels:
            return ArtifactKeyMaterial(stage: subject.stage, formatVersion: formatVersion,
                                       settings: PixelProbeSettings(evaluation: s.probe.evaluation, pixels: s.probe.pixels),
                                       upstream: ["prepare": prepareKey])
        case .ijepa:
            preconditionFailure("the I-JEPA probe is the stage's own artifact")
        }
    }

    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false) throws -> Outcome {
        try GEMM.checkEnvironment()
        let log = Console.logger(name)
        let started = Date()
        Allocator.keepLargeBlocks()  // per-call GEMM buffers stay in the heap (see PretrainStage)
        let settings = ProbeSettings(config.settings)
        let pretrain = PretrainSettings(config.settings)
        let material = try keyMaterial(config, store: store)
        let key = material.key, dir = store.directory(stage: name, key: key)
        return try store.buildOnce(stage: name, key: key, force: force, log: log) { _ in
            Outcome(key: key, directory: dir, built: false, metrics: try metrics(store: store, key: key))
        } build: {
            let prepareKey = material.upstreamKey(PrepareStage.self), pretrainKey = material.upstreamKey(PretrainStage.self)
            _ = try store.requireInput(stage: PretrainStage.name, key: pretrainKey, makeTarget: "pretrain")
            let data = try ProbeData(store: store, prepareKey: prepareKey, settings: settings)
            try checkMemory(data, settings: settings, pretrain: pretrain, batchSize: ProbeOptions(config.settings).batchSize,
                            log: log)
            log.info("key \(key): \(data.trainRows.count) train images, \(data.evalRows.count) \(data.evalDescription) images, \(data.classes) classes, features \(settings.featureKind.rawValue)")

            var subjects: [String: SubjectMetrics] = [:]
            for subject in probedSubjects(settings) {
                switch subject {
                case .ijepa:
                    let features = try encoderFeatures(subject, config: config, settings: settings, data: data, store: store,
                                                       prepareKey: prepareKey, pretrainKey: pretrainKey, force: force, log: log) {
                        let encoder = VisionTransformer(shape: data.shape(pretrain))
                        try Checkpoint.loadModule("target_encoder", into: encoder,
                                                  from: try pretrainCheckpoint(store: store, key: pretrainKey))
                        return encoder
                    }
                    subjects[subject.rawValue] = score(subject, features, data: data, settings: settings, log: log)
                case .randomInit, .pixels:
                    subjects[subject.rawValue] = try baseline(subject, config: config, settings: settings, pretrain: pretrain,
                                                              data: data, store: store, prepareKey: prepareKey,
                                                              pretrainKey: pretrainKey, force: force, log: log)
                }
            }

            var notes: [String] = []
            if let file = config.settings.readCheckpointPath {
                notes.append("Pretraining started from \(file) (meta.read_checkpoint); the initial-weights baseline is the encoder initialised with meta.seed, not that file.")
            }
            if let file = config.settings.meta.checkpoint.initFrom {
                let epochs = config.settings.optimization.epochs
                notes.append(epochs == 0
                    ? "The I-JEPA row probes the weights of \(file) (meta.init_from) as they are: no training step ran here (optimization.epochs 0). The initial-weights baseline is the encoder initialised with meta.seed."
                    : "Pretraining started from the weights of \(file) (meta.init_from) and trained \(epochs) epochs here; the initial-weights baseline is the encoder initialised with meta.seed, not that file.")
            }
            let metrics = ProbeMetrics(notes: notes, evalSplit: settings.evalSplit.rawValue,
                                       evalDescription: data.evalDescription, evalImages: data.evalRows.count,
                                       trainImages: data.trainRows.count, classNames: data.train.attributes.classNames,
                                       features: settings.featureKind.rawValue,
                                       artifacts: ["prepare": prepareKey, "pretrain": pretrainKey], subjects: subjects)
            try store.build(material, started: started) { tmp in
                try ProbeFiles.write(metrics: metrics, to: tmp)
                var details = ProbeFiles.summary(metrics).objectValue ?? [:]
                details["peak_resident_mib"] = .double(Double(ResidentMemory.peakBytes()) / 1_048_576)
                return StageResult(counts: ["train_images": data.trainRows.count, "eval_images": data.evalRows.count],
                                   details: .object(details))
            }
            FileHandle.standardError.write(Data(ProbeFiles.table(metrics).utf8))
            log.info("wrote \(dir)")
            return Outcome(key: key, directory: dir, built: true, metrics: metrics)
        }
    }

    /// Refuses, before extracting anything, a probe whose estimated peak
    /// exceeds the memory available now.
    static func checkMemory(_ data: ProbeData, settings: ProbeSettings, pretrain: PretrainSettings, batchSize: Int,
                            log: Logger) throws {
        let shape = data.shape(pretrain)
        let estimate = ProbeMemoryEstimate(
            shape: shape, featureDim: FeatureExtractor.dimension(of: settings.featureKind, embed: shape.encoder.embedDim),
            images: data.train.count + (data.val?.count ?? 0), probed: data.trainRows.count + data.evalRows.count,
            settings: settings, batchSize: batchSize)
        guard let available = MachineMemory.availability() else { return }
        guard estimate.total <= available.bytes else {
            throw PipelineError("probe needs \(estimate.summary) but \(available.description) is available: lower probe.pixel_limit_mb or probe.batch_size, use probe.features: last (a quarter of last4's features), or leave pixels out of probe.baselines")
        }
        log.info("memory: \(estimate.summary) of \(available.description) available")
    }

    /// A baseline's results: from its artifact when up to date, else computed and published.
    static func baseline(_ subject: Subject, config: PipelineConfig, settings: ProbeSettings, pretrain: PretrainSettings,
                         data: ProbeData, store: ArtifactStore, prepareKey: String, pretrainKey: String,
                         force: Bool, log: Logger) throws -> SubjectMetrics {
        let m = baselineMaterial(subject, config: config, prepareKey: prepareKey)
        let dir = store.directory(stage: m.stage, key: m.key)
        return try store.buildOnce(stage: m.stage, key: m.key, force: force, log: log,
                                   reused: "\(subject.rawValue): reusing") { _ in
            try RecordFile.read(SubjectMetrics.self, from: "\(dir)/\(ProbeFiles.baselineName)")
        } build: {
            let started = Date()
            let result: SubjectMetrics
            switch subject {
            case .randomInit:
                // The pretraining's initial weights: Pretrain starts the target
                // encoder as a copy of the encoder initialised with meta.seed.
                let features = try encoderFeatures(subject, config: config, settings: settings, data: data, store: store,
                                                   prepareKey: prepareKey, pretrainKey: pretrainKey, force: force, log: log) {
                    let encoder = VisionTransformer(shape: data.shape(pretrain))
                    encoder.initialize(seed: pretrain.seed, patchStd: pretrain.model.patchInitStd)
                    return encoder
                }
                result = score(subject, features, data: data, settings: settings, log: log)
            case .pixels:
                result = try pixelBaseline(data, settings: settings, log: log)
            case .ijepa:
                preconditionFailure("I-JEPA features are not a baseline")
            }
            try store.build(m, started: started) { tmp in
                try RecordFile.write(result, to: "\(tmp)/\(ProbeFiles.baselineName)")
                return StageResult()
            }
            return result
        }
    }

    /// One subject's features of the probe's train images and of its
    /// evaluation source (val, or nil when the holdout is carved from train).
    struct SubjectFeatures {
        let train: [Float]  // (train.count, dim)
        let val: [Float]?   // (val.count, dim)
        let dim: Int
        let seconds: Double
        /// Feature artifacts read (true) or written (false), by key.
        let artifacts: [(key: String, reused: Bool)]
    }

    /// A frozen encoder's features, split by split from the feature cache;
    /// `encoder` runs only when some split has to be extracted.
    static func encoderFeatures(_ subject: Subject, config: PipelineConfig, settings: ProbeSettings, data: ProbeData,
                                store: ArtifactStore, prepareKey: String, pretrainKey: String, force: Bool, log: Logger,
                                encoder: () throws -> VisionTransformer) throws -> SubjectFeatures {
        var model: VisionTransformer? = nil
        let shared = { () throws -> VisionTransformer in
            if let model { return model }
            let m = try encoder()
            model = m
            return m
        }
        let options = ProbeOptions(config.settings)
        var parts: [FeatureArtifact.Split] = []
        for split in [data.train] + (data.val.map { [$0] } ?? []) {
            let m = FeatureArtifact.material(subject, split: split.name, config: config, prepareKey: prepareKey, pretrainKey: pretrainKey)
            let part = try FeatureArtifact.obtain(m, split: split, kind: settings.featureKind, options: options, store: store,
                                                  force: force, log: log, encoder: shared)
            if part.reused { log.info("\(subject.rawValue): \(split.name) features from \(store.directory(stage: FeatureArtifact.stage, key: part.key))") }
            parts.append(part)
        }
        return SubjectFeatures(train: parts[0].values, val: parts.count > 1 ? parts[1].values : nil, dim: parts[0].dim,
                               seconds: parts.map(\.seconds).reduce(0, +), artifacts: parts.map { ($0.key, $0.reused) })
    }

    /// The raw-pixel baseline: normalised pixels of the probe's train and
    /// evaluation rows, read from the shards (cheaper than a cache 4x their
    /// size). When their float32 pixels exceed probe.pixel_limit_mb, a
    /// class-stratified sample of each, sized to fit, and a note that says so.
    static func pixelBaseline(_ data: ProbeData, settings: ProbeSettings, log: Logger) throws -> SubjectMetrics {
        let t0 = Date()
        let dim = data.train.attributes.numPatches * data.train.attributes.patchDim
        let rows = pixelRows(data, dim: dim, settings: settings)
        if let note = rows.note { log.notice("\(note)") }
        let evalSplit = data.val ?? data.train
        var trainX = [Float](repeating: 0, count: rows.train.count * dim)
        var evalX = [Float](repeating: 0, count: rows.eval.count * dim)
        try trainX.withUnsafeMutableBufferPointer { try data.train.normalized(rows.train, into: $0.baseAddress!) }
        try evalX.withUnsafeMutableBufferPointer { try evalSplit.normalized(rows.eval, into: $0.baseAddress!) }
        let seconds = Date().timeIntervalSince(t0)
        var metrics = score(.pixels, trainX: trainX, trainLabels: rows.train.map { data.train.labels[$0] }, evalX: evalX,
                            evalLabels: rows.eval.map { evalSplit.labels[$0] }, dim: dim,
                            images: rows.train.count + rows.eval.count, seconds: seconds, artifacts: [], data: data,
                            settings: settings, log: log)
        metrics.note = rows.note
        return metrics
    }

    /// The rows the pixel baseline uses: all of the probe's, or a
    /// class-stratified sample of its train rows and of its evaluation rows
    /// (the same share of each) whose float32 pixels fit probe.pixel_limit_mb.
    static func pixelRows(_ data: ProbeData, dim: Int, settings: ProbeSettings) -> (train: [Int], eval: [Int], note: String?) {
        let total = data.trainRows.count + data.evalRows.count, bytes = total * dim * 4
        let limit = settings.pixels.limitBytes
        guard bytes > limit else { return (data.trainRows, data.evalRows, nil) }
        let share = Double(limit / (dim * 4)) / Double(total)
        let evalLabels = (data.val ?? data.train).labels
        let train = LabelSampling.stratifiedSubset(data.trainRows, labels: data.train.labels, classes: data.classes,
                                                   count: max(data.classes, Int(Double(data.trainRows.count) * share)),
                                                   seed: SeedStream.pixelSample(settings.seed))
        let eval = LabelSampling.stratifiedSubset(data.evalRows, labels: evalLabels, classes: data.classes,
                                                  count: max(data.classes, Int(Double(data.evalRows.count) * share)),
                                                  seed: SeedStream.pixelSample(settings.seed) &+ 1)
        let note = String(format: "Raw pixels: a class-stratified sample of %d of the %d train images and %d of the %d evaluation images (probe.seed); all of them would take %.0f MiB as float32, more than probe.pixel_limit_mb (%g).",
                          train.count, data.trainRows.count, eval.count, data.evalRows.count,
                          Double(bytes) / 1_048_576, settings.pixels.limitMB)
        return (train.sorted(), eval.sorted(), note)
    }

    /// Every probe on one subject's features.
    static func score(_ subject: Subject, _ features: SubjectFeatures, data: ProbeData, settings: ProbeSettings,
                      log: Logger) -> SubjectMetrics {
        let dim = features.dim
        let trainX = ProbeEvaluation.gather(features.train, rows: data.trainRows, dim: dim)
        let evalX = ProbeEvaluation.gather(features.val ?? features.train, rows: data.evalRows, dim: dim)
        return score(subject, trainX: trainX, trainLabels: data.trainLabels, evalX: evalX, evalLabels: data.evalLabels,
                     dim: dim, images: data.train.count + (data.val?.count ?? 0), seconds: features.seconds,
                     artifacts: features.artifacts.map(\.key), data: data, settings: settings, log: log)
    }

    /// Every probe on a subject's train and evaluation rows (`images`
    /// extracted in `seconds`).
    static func score(_ subject: Subject, trainX: [Float], trainLabels: [Int32], evalX: [Float], evalLabels: [Int32],
                      dim: Int, images: Int, seconds: Double, artifacts: [String], data: ProbeData,
                      settings: ProbeSettings, log: Logger) -> SubjectMetrics {
        let results = ProbeEvaluation.run(train: trainX, trainLabels: trainLabels, eval: evalX, evalLabels: evalLabels,
                                          dim: dim, classes: data.classes, settings: settings, subject: subject.rawValue,
                                          log: log)
        return SubjectMetrics(subject: subject.rawValue, title: subject.title,
                              features: subject == .pixels ? "pixels" : settings.featureKind.rawValue, dim: dim,
                              extractImagesPerSecond: Double(images) / seconds, extractSeconds: seconds,
                              featureStd: meanFeatureStd(trainX, dim: dim), results: results,
                              featureArtifacts: artifacts.isEmpty ? nil : artifacts)
    }

    /// Mean over features of the std across images: near 0 means the
    /// encoder maps every image to nearly the same vector (collapse).
    static func meanFeatureStd(_ x: [Float], dim: Int) -> Double {
        let n = x.count / dim
        guard n > 1 else { return .nan }
        var sum = [Double](repeating: 0, count: dim), sq = [Double](repeating: 0, count: dim)
        for r in 0..<n {
            for j in 0..<dim {
                let v = Double(x[r * dim + j])
                sum[j] += v
                sq[j] += v * v
            }
        }
        var total = 0.0
        for j in 0..<dim {
            let m = sum[j] / Double(n)
            total += max(0, sq[j] / Double(n) - m * m).squareRoot()
        }
        return total / Double(dim)
    }

    /// The metrics of an up-to-date probe artifact.
    public static func metrics(store: ArtifactStore, key: String) throws -> ProbeMetrics {
        try RecordFile.read(ProbeMetrics.self, from: "\(store.directory(stage: name, key: key))/\(ProbeFiles.metricsName)")
    }

    static func pretrainCheckpoint(store: ArtifactStore, key: String) throws -> String {
        _ = try store.requireInput(stage: PretrainStage.name, key: key, makeTarget: "pretrain")
        return "\(store.directory(stage: PretrainStage.name, key: key))/checkpoint.h5"
    }
}
