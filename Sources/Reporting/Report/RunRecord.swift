import Foundation
import Pipeline
import Preparation
import Pretraining
import Probing

/// Everything the report shows about one pipeline run (a sweep variant or
/// the single pipeline): its config, artifact keys, manifests, probe
/// metrics and training log.
struct RunRecord {
    /// The variant index (0 for a single pipeline).
    let index: Int
    /// The replicate seed, nil for a run at the pipeline's own seeds.
    let seed: Int?
    /// The swept values ("" for a single pipeline).
    let label: String
    let assignment: [(key: String, value: JSON)]
    let config: PipelineConfig
    let prepareKey: String, pretrainKey: String, probeKey: String
    let prepareManifest: JSON, pretrainManifest: JSON, probeManifest: JSON
    let metrics: ProbeMetrics
    let log: TrainingLog
    /// Pretrain's eval.csv (the learning curve), nil for a run without one.
    let curve: [LearningCurveFile.Point]?
    let pretrainDir: String

    init(index: Int, seed: Int? = nil, label: String, assignment: [(key: String, value: JSON)], config: PipelineConfig,
         store: ArtifactStore) throws {
        self.index = index
        self.seed = seed
        self.label = label
        self.assignment = assignment
        self.config = config
        let probe = try ProbeStage.keyMaterial(config, store: store)
        probeKey = probe.key
        prepareKey = probe.upstreamKey(PrepareStage.self)
        pretrainKey = probe.upstreamKey(PretrainStage.self)
        let named = [label, seed.map { "seed \($0)" } ?? ""].filter { !$0.isEmpty }.joined(separator: ", ")
        let what = named.isEmpty ? config.source : "\(config.source) [\(named)]"
        func manifest(_ stage: String, _ key: String, _ target: String) throws -> JSON {
            switch store.verify(stage: stage, key: key) {
            case .success(let m): return m
            case .failure(let e):
                throw PipelineError("\(what): \(stage) artifact \(key) is not available (\(e.description)); run make \(target) first")
            }
        }
        let sweepTarget = label.isEmpty && seed == nil ? "probe" : "sweep"
        prepareManifest = try manifest(PrepareStage.name, prepareKey, sweepTarget)
        pretrainManifest = try manifest(PretrainStage.name, pretrainKey, sweepTarget)
        probeManifest = try manifest(ProbeStage.name, probeKey, sweepTarget)
        metrics = try ProbeStage.metrics(store: store, key: probeKey)
        pretrainDir = store.directory(stage: PretrainStage.name, key: pretrainKey)
        log = try TrainingLog(path: "\(pretrainDir)/log.csv", steps: pretrainManifest["counts"]?["steps"]?.intValue ?? -1)
        let curvePath = "\(pretrainDir)/\(LearningCurveFile.name)"
        if FileManager.default.fileExists(atPath: curvePath) {
            guard let text = try? String(contentsOfFile: curvePath, encoding: .utf8) else {
                throw PipelineError("\(curvePath): cannot read the learning curve")
            }
            curve = LearningCurveFile.points(text)
        } else {
            curve = nil
        }
    }

    /// Every run of a sweep (each variant at each of its seeds), in `sweep.runs` order.
    static func all(_ sweep: SweepFile, overrides: [String], store: ArtifactStore) throws -> [RunRecord] {
        try sweep.runs.map { run in
            try RunRecord(index: run.variant, seed: run.seed, label: sweep.label(run.variant),
                          assignment: sweep.assignment(run.variant), config: try sweep.config(run, extra: overrides), store: store)
        }
    }

    /// "2" or "2-1" (variant 2, seed 1), as the Makefile's targets name runs.
    var runName: String { SweepFile.Run(variant: index, seed: seed).name }

    /// Top-1 of a subject's probe, or NaN when it was not run.
    func top1(_ subject: ProbeStage.Subject, _ classifier: String, _ fraction: Double) -> Double {
        metrics.result(subject, classifier, fraction)?.top1 ?? .nan
    }

    var fractions: [Double] { metrics.fractions }
    var evalDescription: String { metrics.evalDescription }
    var evalImages: Int { metrics.evalImages }
    var finalLoss: Double { log.tailMean(\.loss) }
    /// The learning curve's first and last k-NN top-1 (NaN without one).
    var curveFirst: Double { curve?.first?.top1 ?? .nan }
    var curveLast: Double { curve?.last?.top1 ?? .nan }
    var finalFeatureStd: Double { log.tailMean(\.targetFeatureStd) }
    var pretrainImagesPerSecond: Double { pretrainManifest["details"]?["images_per_second"]?.doubleValue ?? .nan }
    func wallSeconds(_ manifest: JSON) -> Double { manifest["timings"]?["total_s"]?.doubleValue ?? .nan }
}
