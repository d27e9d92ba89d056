import Foundation
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
public enum PretrainStage {
    public static let name = "pretrain"
    public static let formatVersion = 1

    public struct Outcome: Sendable {
        public let key: String
        public let directory: String
        public let built: Bool
    }

    public static func keyMaterial(_ config: PipelineConfig, store: ArtifactStore) throws -> ArtifactKeyMaterial {
        let settings = try PretrainSettings(config)
        let prepareKey = try PrepareStage.keyMaterial(config, store: store).key
        return ArtifactKeyMaterial(stage: name, formatVersion: formatVersion, config: settings.view,
                                   upstream: ["prepare": prepareKey])
    }

    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false,
                           resume: Bool = false) throws -> Outcome {
        let log = Console.logger(name)
        let started = Date()
        let settings = try PretrainSettings(config)
        let material = try keyMaterial(config, store: store)
        let key = material.key
        let dir = store.directory(stage: name, key: key)
        if !force, case .success = store.verify(stage: name, key: key) {
            log.info("up to date: \(dir)")
            return Outcome(key: key, directory: dir, built: false)
        }
        let prepareKey = material.upstream["prepare"]!
        guard case .success(let prepared) = store.verify(stage: PrepareStage.name, key: prepareKey) else {
            throw PipelineError("\(store.directory(stage: PrepareStage.name, key: prepareKey)): prepare artifact missing; run Prepare (make prepare) first")
        }
        let prepDir = store.directory(stage: PrepareStage.name, key: prepareKey)
        let shards = (prepared["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }
            .filter { $0.hasPrefix("train-") && $0.hasSuffix(".h5") }.sorted().map { "\(prepDir)/\($0)" }
        guard !shards.isEmpty else { throw PipelineError("\(prepDir): no train shards") }

        let data = try TrainingData(shardPaths: shards, batchSize: settings.batchSize, seed: settings.seed,
                                    cropScale: settings.cropScale, horizontalFlip: settings.horizontalFlip)
        let a = data.attributes
        let shape = JEPAShape(channels: a.channels, patchSize: a.patchSize, gridSize: a.gridSize,
                              encoder: settings.encoder, predictorDim: settings.predictorDim,
                              predictorDepth: settings.predictorDepth)
        let sampler = settings.maskSampler(grid: a.gridSize)
        if let reason = sampler.validate() { throw PipelineError("\(config.source): \(reason)") }

        let workDir = "\(store.root)/\(name)/.work-\(key)"
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let run = TrainingRun(settings: settings, shape: shape, data: data, sampler: sampler, workDir: workDir,
                              configText: config.view(keys: [], sections: PipelineSchema.sections).json.canonical,
                              log: log)
        if resume || settings.resume {
            try run.resumeFromWorkDir()
        } else if let path = settings.readCheckpoint {
            try run.loadWeights(from: path)
        }
        log.info("key \(key): \(data.count) train images, \(data.itersPerEpoch) steps/epoch, \(run.totalSteps) steps, encoder \(shape.encoder.embedDim)x\(shape.encoder.depth), predictor \(shape.predictorDim)x\(shape.predictorDepth)")
        try run.train()

        let manifest = try store.build(material, started: started) { tmp in
            for f in ["checkpoint.h5", "log.csv"] {
                try FileManager.default.copyItem(atPath: "\(workDir)/\(f)", toPath: "\(tmp)/\(f)")
            }
            try MaskFigure.write(sampler: sampler, data: data, count: 8, to: "\(tmp)/masks.png")
            return run.result()
        }
        try? FileManager.default.removeItem(atPath: workDir)
        log.info("wrote \(dir) (loss \(manifest["details"]?["loss_first"]?.doubleValue ?? .nan) -> \(manifest["details"]?["loss_last"]?.doubleValue ?? .nan))")
        return Outcome(key: key, directory: dir, built: true)
    }
}
