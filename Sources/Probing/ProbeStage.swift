import Evaluation
import Foundation
import Logging
import Numerics
import Pipeline
import Preparation
import Pretraining
import Threads

/// Probe: linear and k-NN probes on frozen features of the pretrained target
/// encoder, next to the same probes on raw pixels and on the encoder at its
/// initial weights. The baselines are artifacts of their own
/// (`probe-pixels/`, `probe-random/`) keyed only by what they depend on, so
/// a sweep over pretraining settings computes them once; the encoders'
/// features are cached per split (`features/`, `FeatureArtifact`), so a
/// probe-only change extracts nothing. The probe artifact holds every
/// subject's results: metrics.json, metrics.csv, confusion/.
///
/// All of them go through the one reuse/lock/publish path (`StageDriver`):
/// the probe artifact as this stage's build, each baseline as an artifact
/// built inside it (`ProbeRun.baseline`), each feature cache likewise.
public enum ProbeStage: BuildingStage {
    public static let name = "probe"
    public static let formatVersion = 1
    public static var upstream: [any Stage.Type] { [PrepareStage.self, PretrainStage.self] }
    public static func inputs(_ s: PipelineSettings) -> ProbeInputs { ProbeInputs(s) }

    /// Both baselines and the encoders' feature caches.
    public static func auxiliaryArtifacts(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String)] {
        let settings = inputs(config.settings)
        let material = try keyMaterial(config, store: store)
        let prepareKey = material.upstreamKey(PrepareStage.self), pretrainKey = material.upstreamKey(PretrainStage.self)
        let splits = settings.evalSplit == .val ? ["train", "val"] : ["train"]
        let chosen = ProbeSubject.chosen(settings)
        let features = ProbedEncoder.allCases.filter { chosen.contains($0.subject) }.flatMap { encoder in
            splits.map { FeatureArtifact.material(encoder, split: $0, config: config, prepareKey: prepareKey, pretrainKey: pretrainKey) }
        }
        let baselines = [BaselineSettings.Baseline.initialWeights, .pixels].filter { chosen.contains(ProbeSubject($0)) }
        return baselines.map {
            let m = baselineMaterial($0, config: config, prepareKey: prepareKey)
            return (m.stage, m.key)
        } + features.map { ($0.stage, $0.key) }
    }

    /// A baseline's artifact: raw pixels do not depend on the feature
    /// choice; initial weights depend on the architecture and seed. (With
    /// meta.read_checkpoint the run starts from that file instead; this
    /// baseline stays the seed's initial weights, and says so.)
    static func baselineMaterial(_ baseline: BaselineSettings.Baseline, config: PipelineConfig,
                                 prepareKey: String) -> ArtifactKeyMaterial {
        let s = config.settings
        switch baseline {
        case .initialWeights:
            return ArtifactKeyMaterial(stage: "probe-random", formatVersion: formatVersion,
                                       settings: InitialWeightsProbeInputs(features: s.probe.features, evaluation: s.probe.evaluation,
                                                                             weights: InitialWeights(s)),
                                       upstream: ["prepare": prepareKey])
        case .pixels:
            return ArtifactKeyMaterial(stage: "probe-pixels", formatVersion: formatVersion,
                                       settings: PixelProbeInputs(evaluation: s.probe.evaluation, pixels: s.probe.pixels),
                                       upstream: ["prepare": prepareKey])
        }
    }

    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false) throws -> StageOutcome {
        try GEMM.checkEnvironment()
        Allocator.keepLargeBlocks()  // per-call GEMM buffers stay in the heap (see PretrainStage)
        return try run(config, store: store, force: force, request: NoRequest())
    }

    public static func build(_ context: StageContext, request: NoRequest, into folder: String) throws -> StageResult {
        let run = try ProbeRun(context)
        if run.pretrain.precision == .bfloat16 {
            context.log.notice("meta.use_bfloat16: encoder features extracted with \(BFloat16GEMM.routeDescription)")
        }
        var subjects: [String: SubjectMetrics] = [:]
        for subject in ProbeSubject.chosen(run.settings) {
            switch subject.baseline {
            case nil: subjects[subject.rawValue] = try run.score(subject, try run.features(.pretrained))
            case let baseline?: subjects[subject.rawValue] = try run.baseline(baseline)
            }
        }
        let metrics = ProbeMetrics(notes: notes(context.config.settings), evalSplit: run.settings.evalSplit.rawValue,
                                   evalDescription: run.data.evalDescription, evalImages: run.data.evalRows.count,
                                   trainImages: run.data.trainRows.count, classNames: run.data.train.attributes.classNames,
                                   features: run.settings.featureKind.rawValue,
                                   artifacts: ["prepare": run.prepareKey, "pretrain": run.pretrainKey], subjects: subjects)
        try ProbeFiles.write(metrics: metrics, to: folder)
        FileHandle.standardError.write(Data(ProbeFiles.table(metrics).utf8))
        var details = ProbeFiles.summary(metrics).objectValue ?? [:]
        details["peak_resident_mib"] = .double(Double(ResidentMemory.peakBytes()) / 1_048_576)
        return StageResult(counts: ["train_images": run.data.trainRows.count, "eval_images": run.data.evalRows.count],
                           details: .object(details))
    }

    /// What the report says about where the probed weights came from.
    static func notes(_ s: PipelineSettings) -> [String] {
        var notes: [String] = []
        if let file = s.readCheckpointPath {
            notes.append("Pretraining started from \(file) (meta.read_checkpoint); the initial-weights baseline is the encoder initialised with meta.seed, not that file.")
        }
        if let file = s.meta.checkpoint.initFrom {
            let epochs = s.optimization.epochs
            notes.append(epochs == 0
                ? "The I-JEPA row probes the weights of \(file) (meta.init_from) as they are: no training step ran here (optimization.epochs 0). The initial-weights baseline is the encoder initialised with meta.seed."
                : "Pretraining started from the weights of \(file) (meta.init_from) and trained \(epochs) epochs here; the initial-weights baseline is the encoder initialised with meta.seed, not that file.")
        }
        return notes
    }

    /// The metrics of an up-to-date probe artifact.
    public static func metrics(store: ArtifactStore, key: String) throws -> ProbeMetrics {
        try RecordFile.read(ProbeMetrics.self, from: "\(store.directory(stage: name, key: key))/\(ProbeFiles.metricsName)")
    }
}
