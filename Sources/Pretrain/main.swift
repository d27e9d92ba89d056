import ArgumentParser
import Distributed
import Foundation
import Pipeline
import StageCLI
import Pretraining

/// `Pretrain`: I-JEPA on the Prepare artifact of the same pipeline.
struct Pretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train an I-JEPA context encoder, predictor and EMA target encoder on the prepared shards.",
        discussion: StageOptions.exitCodes, version: BuildInfo.line)

    @OptionGroup var options: StageOptions

    @Flag(help: "Continue the interrupted run of this configuration even when another build wrote its checkpoint (the same build's is continued without this flag).")
    var resume = false

    @Flag(help: "Start over: remove the interrupted run's checkpoint instead of continuing it.")
    var restart = false

    @Option(name: .customLong("stop-after"), help: "Train at most N steps now, checkpoint, and stop (the same command continues later).")
    var stopAfter: Int?

    @Option(name: .customLong("debug-state"), help: "Run one step from the initial weights and write everything needed to reproduce it to this HDF5 file.")
    var debugState: String?

    @Option(name: .customLong("show-masks"), help: "Write a PNG of N training images with their step-0 masks (see --output) and exit.")
    var showMasks: Int?

    @Option(help: "Output file of --show-masks.")
    var output: String = "masks.png"

    @Option(help: "Write the pretrained target encoder of this pipeline (an existing artifact) to this safetensors file, under the official I-JEPA names, and exit.")
    var export: String?

    @Flag(name: .customLong("export-state"), help: "With --export: the whole training state (encoder, predictor, target encoder, AdamW moments), for tools/interop/ijepa_checkpoint.py.")
    var exportState = false

    func run() throws {
        let world = Communicator.world
        do {
            if let problem = Communicator.launchProblem() { throw PipelineError(problem) }
            if try options.printInformation() { return }
            let cfg = try options.loadConfig()
            let store = options.store
            if world.size > 1 && (debugState != nil || showMasks != nil || export != nil) {
                throw PipelineError("--debug-state, --show-masks and --export run on one process, not under mpirun")
            }
            if exportState && export == nil { throw PipelineError("--export-state: also give --export FILE") }
            if let export {
                try PretrainStage.export(cfg, store: store, to: export, state: exportState)
                print(export)
                return
            }
            if let debugState {
                try PretrainStage.writeDebugState(cfg, store: store, to: debugState)
                return
            }
            if let showMasks {
                guard showMasks >= 1 else { throw PipelineError("--show-masks: needs a count of at least 1") }
                try PretrainStage.writeMaskFigure(cfg, store: store, count: showMasks, to: output)
                return
            }
            if resume && restart { throw PipelineError("--resume and --restart: give one of them") }
            let outcome = try PretrainStage.run(cfg, store: store, force: options.force, resume: resume, restart: restart,
                                                stopAfter: stopAfter, comm: world)
            if world.isRoot { print(outcome.directory) }
            world.finish()
        } catch {
            // One rank's error ends the job: the others would wait in a
            // collective forever.
            if world.size > 1 {
                FileHandle.standardError.write(Data("pretrain: error (rank \(world.rank)): \(error)\n".utf8))
                world.abort(code: 1)
            }
            throw failure("pretrain", error)
        }
    }
}

Pretrain.main()
