import ArgumentParser
import Foundation
import Pipeline
import Pretraining

/// `Pretrain`: I-JEPA on the Prepare artifact of the same pipeline.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an I-JEPA context encoder, predictor and EMA target encoder on the prepared shards.")

    @Option(name: .shortAndLong, help: "Pipeline file.")
    var config: String = "pipelines/default.yaml"

    @Option(name: .customLong("set"), help: "Override a config value: key=value (repeatable).")
    var overrides: [String] = []

    @Option(help: "Artifact root folder.")
    var artifacts: String = "artifacts"

    @Flag(help: "Recompute even when an up-to-date artifact exists.")
    var force = false

    @Flag(help: "Continue from the checkpoint of an interrupted run of the same configuration.")
    var resume = false

    func run() throws {
        do {
            let cfg = try PipelineConfig.load(path: config, overrides: overrides)
            let outcome = try PretrainStage.run(cfg, store: ArtifactStore(root: artifacts), force: force, resume: resume)
            print(outcome.directory)
        } catch {
            Console.fail("pretrain", error)
        }
    }
}

Pretrain.main()
