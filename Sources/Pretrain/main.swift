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

    @Option(name: .customLong("stop-after"), help: "Train at most N steps now, checkpoint, and stop (resume later with --resume).")
    var stopAfter: Int?

    @Option(name: .customLong("debug-state"), help: "Run one step from the initial weights and write everything needed to reproduce it to this HDF5 file.")
    var debugState: String?

    @Option(name: .customLong("show-masks"), help: "Write a PNG of N training images with their step-0 masks (see --output) and exit.")
    var showMasks: Int?

    @Option(help: "Output file of --show-masks.")
    var output: String = "masks.png"

    func run() throws {
        do {
            let cfg = try PipelineConfig.load(path: config, overrides: overrides)
            let store = ArtifactStore(root: artifacts)
            if let debugState {
                try PretrainStage.writeDebugState(cfg, store: store, to: debugState)
                return
            }
            if let showMasks {
                try PretrainStage.writeMaskFigure(cfg, store: store, count: showMasks, to: output)
                return
            }
            let outcome = try PretrainStage.run(cfg, store: store, force: force, resume: resume, stopAfter: stopAfter)
            print(outcome.directory)
        } catch {
            Console.fail("pretrain", error)
        }
    }
}

Pretrain.main()
