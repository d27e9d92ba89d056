import Dispatch
import Numerics
import Pipeline
import Pretraining
import Threads
import Training

/// bfloat16 against float32 in one run: two trainers of one pipeline, from
/// the same initial weights, take the same steps (batches, masks,
/// schedules), a float32 step and a bfloat16 step per round, the order
/// swapped every round. Run apart, minutes apart, the two precisions met
/// different moments of this VM (bf16 / float32 of separate runs ranged
/// 1.15-1.57 on one Zen 5 in a day); alternated step by step, both meet the
/// same machine, and each round's pair gives a ratio of its own.
public enum PrecisionComparison {
    public struct Result: Sendable {
        public let batch: Int, warmup: Int
        /// Seconds of each timed step, by round.
        public let float32Seconds: [Double], bfloat16Seconds: [Double]
        /// Every step's loss, warm-up included.
        public let float32Losses: [Double], bfloat16Losses: [Double]
        /// sgemm 1024³ (GFLOP/s), one sample after each round.
        public let sgemmSamples: [Double]

        public var rounds: Int { float32Seconds.count }
        /// float32's median step over bfloat16's: the speed-up.
        public var medianRatio: Double { median(float32Seconds) / median(bfloat16Seconds) }
        /// Each round's float32 step over its bfloat16 step.
        public var roundRatios: [Double] { zip(float32Seconds, bfloat16Seconds).map { $0 / $1 } }
        /// The largest |bf16 − f32| / |f32| over the timed steps' losses.
        public var largestRelativeLossDifference: Double {
            zip(float32Losses, bfloat16Losses).suffix(rounds).map { abs($1 - $0) / max(abs($0), 1e-12) }.max() ?? 0
        }
    }

    /// `warmup` untimed steps of each trainer, then `rounds` timed rounds.
    public static func run(_ config: PipelineConfig, store: ArtifactStore, rounds: Int, warmup: Int) throws -> Result {
        precondition(rounds >= 1 && warmup >= 1)
        let setUp = try BenchSetUp(config, store: store, models: 2)
        let settings = setUp.settings, data = setUp.data, shape = setUp.shape
        let trainers = [settings.trainer(shape: shape, precision: .float32),
                        settings.trainer(shape: shape, precision: .bfloat16)]
        let b = settings.batchSize, count = b * shape.numPatches * shape.patchDim
        let batch = FloatBuffer(count)  // read-only to a step: both precisions take it as loaded
        var seconds: [[Double]] = [[], []], losses: [[Double]] = [[], []]
        var epochOrder = EpochOrder(data)
        let reference = SgemmReference()  // sampled after each round, outside its steps
        for s in 0..<(warmup + rounds) {
            try data.batch(step: s, order: epochOrder.forStep(s), into: batch.pointer)
            let inputs = setUp.inputs(step: s)
            for t in (s % 2 == 0 ? [0, 1] : [1, 0]) {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let r = trainers[t].step(patches: batch.pointer, inputs: inputs)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                if let fault = JEPATrainer.fault(of: r) {
                    throw PipelineError("bench: \(trainers[t].encoder.precision.rawValue) step \(s): \(fault)")
                }
                losses[t].append(r.loss)
                if s >= warmup { seconds[t].append(elapsed) }
            }
            if s >= warmup { reference.sample() }
        }
        return Result(batch: b, warmup: warmup, float32Seconds: seconds[0], bfloat16Seconds: seconds[1],
                      float32Losses: losses[0], bfloat16Losses: losses[1], sgemmSamples: reference.samples)
    }

    public static func describe(_ r: Result, config: PipelineConfig) -> [String] {
        func line(_ name: String, _ xs: [Double]) -> String {
            String(format: "%@ median step %.2f ms (%.1f images/s); steps %.2f-%.2f ms", name, median(xs) * 1000,
                   Double(r.batch) / median(xs), (xs.min() ?? 0) * 1000, (xs.max() ?? 0) * 1000)
        }
        let ratios = r.roundRatios, steps = r.warmup + r.rounds
        return [
            "pipeline: \(config.source); batch \(r.batch); \(r.warmup) warm-up steps each, then \(r.rounds) rounds of one float32 and one bfloat16 step (the order swapped every round; same weights, batches and masks)",
            "cpu: \(CPUInfo.model), class \(CPUInfo.cpuClass); threads: \(Parallel.threadCount); GEMM: \(GEMM.backendDescription); \(BFloat16GEMM.routeDescription)",
            line("float32: ", r.float32Seconds),
            line("bfloat16:", r.bfloat16Seconds),
            String(format: "bfloat16 / float32 images/s: %.2fx from the median steps; each round's pair: median %.2fx (%.2f-%.2f, %d rounds)",
                   r.medianRatio, median(ratios), ratios.min() ?? 0, ratios.max() ?? 0, r.rounds),
            String(format: "losses after %d steps: float32 %.5f, bfloat16 %.5f; the largest relative difference over the timed steps %.2f%%",
                   steps, r.float32Losses.last ?? 0, r.bfloat16Losses.last ?? 0, 100 * r.largestRelativeLossDifference),
            String(format: "sgemm 1024^3 %.1f GFLOP/s (median of %d, one after each round: %.1f-%.1f)", median(r.sgemmSamples),
                   r.sgemmSamples.count, r.sgemmSamples.min() ?? 0, r.sgemmSamples.max() ?? 0),
        ]
    }
}
