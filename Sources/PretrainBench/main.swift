import ArgumentParser
import Benchmarks
import Foundation
import Pipeline
import StageCLI

/// `PretrainBench`: times real pretraining steps of a pipeline (`make bench`)
/// and optionally writes them for the PyTorch comparison (`make bench-compare`).
struct PretrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "PretrainBench",
        abstract: "Images/s, time per phase, GFLOP/s, sgemm fraction and peak memory of N pretraining steps.",
        version: BuildInfo.line)

    @OptionGroup var options: StageOptions

    @Option(help: "Timed steps.") var steps = 10
    @Option(help: "Untimed steps before them.") var warmup = 2
    @Option(help: "Write initial weights, batches, masks, schedules and our losses to this HDF5 file (for tools/bench).")
    var dump: String?
    @Flag(help: "Also list each GEMM shape (outside per-worker regions) with its time replayed alone and in the step, slowest first.")
    var gemmShapes = false
    @Flag(help: "Instead: float32 and bfloat16 steps alternated in one run (two models from the same weights, on the same batches and masks; --steps rounds of one step each): bf16's speed-up from the median steps and from each round's pair.")
    var alternateBf16 = false

    func run() throws {
        do {
            guard steps >= 1, warmup >= 1 else { throw PipelineError("--steps and --warmup: need at least 1") }
            let cfg = try options.loadConfig()
            if alternateBf16 {
                guard dump == nil, !gemmShapes else { throw PipelineError("--alternate-bf16: not with --dump or --gemm-shapes") }
                let r = try PrecisionComparison.run(cfg, store: options.store, rounds: steps, warmup: warmup)
                for line in PrecisionComparison.describe(r, config: cfg) { print(line) }
                return
            }
            let r = try PretrainBench.run(cfg, store: options.store, steps: steps, warmup: warmup, dump: dump, shapes: gemmShapes)
            for line in PretrainBench.describe(r, config: cfg) { print(line) }
        } catch {
            throw failure("bench", error)
        }
    }
}

PretrainBenchCommand.main()
