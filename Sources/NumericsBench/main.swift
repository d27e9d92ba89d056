import ArgumentParser
import Benchmarks
import Foundation
import Numerics
import Pipeline
import Random
import Threads

/// Times the numerics of one I-JEPA step (no optimizer, no data) and
/// compares its GEMM throughput with the machine's own sgemm rate on
/// exactly the GEMM shapes the step ran, measured in the same run.
struct NumericsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward/backward time, GFLOP/s and fraction of the sgemm rate for one I-JEPA step.",
        version: BuildInfo.line)

    @Option var batch = 128
    @Option var embed = 192
    @Option var depth = 6
    @Option var heads = 3
    @Option(name: .customLong("pred-dim")) var predDim = 96
    @Option(name: .customLong("pred-depth")) var predDepth = 4
    @Option var grid = 7
    @Option var channels = 1
    @Option var patch = 4
    @Option(help: "Context tokens per sample.") var context = 7
    @Option(help: "Target blocks per sample.") var masks = 4
    @Option(help: "Tokens per target block.") var targets = 8
    @Option var steps = 10
    @Option var warmup = 2
    @Option(parsing: .upToNextOption,
            help: "Instead of a step: attention alone (forward + backward of --batch sequences, --embed wide, --heads heads), fused kernel against per-head GEMMs, at these sequence lengths.")
    var attention: [Int] = []
    @Flag(help: "With --attention: the forward alone without the softmax matrix (no backward: the target encoder, feature extraction).")
    var inference = false
    @Flag(name: .customLong("bf16-arithmetic"),
          help: "Instead of a step: which arithmetic this CPU's bf16 GEMM performs (a fingerprint of its bits; whether a bf16 result reproduces here).")
    var bf16Arithmetic = false

    func run() throws {
        try GEMM.checkEnvironment()
        if bf16Arithmetic {
            print("cpu: \(CPUInfo.model), class \(CPUInfo.cpuClass)")
            for line in BFloat16Arithmetic.describe(BFloat16Arithmetic.check()) { print(line) }
            return
        }
        if !attention.isEmpty {
            let rows = AttentionBench.run(batch: batch, width: embed, heads: heads, tokens: attention, repeats: steps,
                                          inference: inference)
            for line in AttentionBench.describe(rows, batch: batch, width: embed, heads: heads, inference: inference) {
                print(line)
            }
            return
        }
        let shape = JEPAShape(channels: channels, patchSize: patch, gridSize: grid,
                              encoder: ViTConfig(embedDim: embed, depth: depth, numHeads: heads),
                              predictorDim: predDim, predictorDepth: predDepth)
        let n = shape.numPatches
        let target = VisionTransformer(shape: shape), enc = VisionTransformer(shape: shape), pred = Predictor(shape: shape)
        target.initialize(seed: 1)
        enc.initialize(seed: 1)
        pred.initialize(seed: 2)
        var rng = SeededGenerator(seed: 3)
        let patches = (0..<(batch * n * shape.patchDim)).map { _ in Float(rng.normal()) }
        let ctx = (0..<batch).flatMap { _ in (0..<n).shuffled(using: &rng).prefix(context).sorted().map(Int32.init) }
        let tgt = (0..<(masks * batch)).flatMap { _ in (0..<n).shuffled(using: &rng).prefix(targets).map(Int32.init) }
        let grad = (0..<(masks * batch * targets * embed)).map { _ in Float(rng.normal()) * 1e-3 }

        Allocator.keepLargeBlocks()  // as Pretrain does: oneDNN's per-call buffers stay in the heap
        var phases = [String: Double]()
        func time(_ name: String, _ body: () -> Void) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            phases[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        func step() {
            time("target forward") { target.forward(patches: patches, batch: batch, indices: nil, count: n) }
            var c: UnsafePointer<Float>! = nil
            time("context forward") { c = enc.forward(patches: patches, batch: batch, indices: ctx, count: context) }
            time("predictor forward") {
                pred.forward(context: c, batch: batch, contextIndices: ctx, contextCount: context,
                             targetIndices: tgt, masks: masks, targetCount: targets)
            }
            enc.params.zeroGrads()
            pred.params.zeroGrads()
            var dc: UnsafePointer<Float>! = nil
            time("predictor backward") { dc = pred.backward(grad) }
            time("context backward") { enc.backward(dc) }
        }
        for _ in 0..<warmup { step() }
        let calls = GEMM.record { step() }
        phases = [:]
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { step() }
        let stepTime = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(steps)
        let flops = calls.reduce(0) { $0 + $1.flops }

        // The same GEMMs alone: big ones on OpenBLAS's threads, the per-head
        // ones spread over workers single-threaded, as the step runs them.
        let replay = GEMMReplay(calls)
        replay.run()
        let r0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { replay.run() }
        let gemmTime = Double(DispatchTime.now().uptimeNanoseconds - r0) / 1e9 / Double(steps)

        let fwd = ["target forward", "context forward", "predictor forward"].reduce(0) { $0 + phases[$1]! } / Double(steps)
        let bwd = ["predictor backward", "context backward"].reduce(0) { $0 + phases[$1]! } / Double(steps)
        print("config: batch \(batch), \(n) tokens (grid \(grid)), encoder \(embed)x\(depth) \(heads) heads, predictor \(predDim)x\(predDepth), context \(context), \(masks) target blocks of \(targets)")
        print("threads: \(Parallel.threadCount); GEMM: \(GEMM.backendDescription)")
        for name in ["target forward", "context forward", "predictor forward", "predictor backward", "context backward"] {
            print(String(format: "  %-20@ %8.2f ms", name, phases[name]! / Double(steps) * 1000))
        }
        print(String(format: "forward %.2f ms, backward %.2f ms, step %.2f ms per batch of %d (%.0f images/s)",
                     fwd * 1000, bwd * 1000, stepTime * 1000, batch, Double(batch) / stepTime))
        print(String(format: "GEMM work %.3f GFLOP per step (%.3f per image), %d calls", flops / 1e9, flops / 1e9 / Double(batch), calls.count))
        print(String(format: "achieved %.1f GFLOP/s; the same GEMMs alone: %.1f GFLOP/s; fraction %.2f",
                     flops / stepTime / 1e9, flops / gemmTime / 1e9, gemmTime / stepTime))
        let peak = SgemmReference.rate()
        print(String(format: "sgemm 1024x1024x1024: %.1f GFLOP/s (the step reaches %.2f of it)",
                     peak, flops / stepTime / 1e9 / peak))
    }
}

NumericsBench.main()
