import Dispatch
import Foundation
import Numerics
import Pipeline
import Preparation
import Pretraining
import Shards
import Threads
import Training

/// Runs real pretraining steps of a pipeline (its data, masks, schedules and
/// model) and measures them: images/s, time per phase, GEMM GFLOP/s, the
/// machine's own sgemm rate on the very GEMM shapes of a step (measured in
/// the same run) and peak memory. Optionally writes everything another
/// implementation needs to train the same steps (`dump`), so a PyTorch run
/// can be compared loss for loss (tools/bench).
public enum PretrainBench {
    public struct Result: Sendable {
        public let steps: Int, warmup: Int, batch: Int
        public let secondsPerStep: Double
        public let phaseSeconds: [(String, Double)]
        public let dataSecondsPerStep: Double
        public let gemmFlopsPerStep: Double
        public let gemmCallsPerStep: Int
        /// Arithmetic of the fused attention kernel (no GEMM calls).
        public let attentionFlopsPerStep: Double
        public let replaySecondsPerStep: Double
        /// Seconds per step inside the GEMMs outside per-worker regions, timed
        /// in place (bf16: without the rounding of float32 operands).
        public let inPlaceGEMMSecondsPerStep: Double
        /// GEMM FLOPs and replay seconds per step of the per-head attention
        /// GEMMs, then of the others.
        public let regionSplit: [(flops: Double, seconds: Double)]
        /// sgemm 1024³ (GFLOP/s) sampled after each timed step; the
        /// reference is their median.
        public let sgemmSamples: [Double]
        public var peakSgemmRate: Double { median(sgemmSamples) }
        public let peakResidentBytes: Int
        public let losses: [Double]
        /// Seconds of each timed step.
        public let stepSeconds: [Double]
        public let contextTokens: [Int], targetTokens: [Int]
        /// The networks' GEMMs (meta.use_bfloat16).
        public let precision: MatmulPrecision
        /// With `shapes`: each GEMM shape outside per-worker regions, its
        /// calls per step and their seconds per step, replayed alone and
        /// timed in the step.
        public let shapeSeconds: [(call: GEMM.Call, calls: Double, seconds: Double, inPlace: Double)]

        public var imagesPerSecond: Double { Double(batch) / secondsPerStep }
        /// From the median step: robust to a machine that slows down for a
        /// moment (this 2-core VM varies by 15% between runs).
        public var medianImagesPerSecond: Double { Double(batch) / median(stepSeconds) }
        /// GEMMs and fused attention: all the step's matrix arithmetic.
        public var achievedRate: Double { (gemmFlopsPerStep + attentionFlopsPerStep) / secondsPerStep / 1e9 }
        public var shapeSgemmRate: Double { gemmFlopsPerStep / replaySecondsPerStep / 1e9 }
    }

    /// `warmup` untimed steps (the first also records the GEMM shapes), then
    /// `steps` timed ones; every step is a real training step from the
    /// initial weights.
    public static func run(_ config: PipelineConfig, store: ArtifactStore, steps: Int, warmup: Int,
                           dump: String? = nil, shapes: Bool = false) throws -> Result {
        precondition(steps >= 1 && warmup >= 1)
        let setUp = try BenchSetUp(config, store: store)
        let settings = setUp.settings, data = setUp.data, shape = setUp.shape
        let total = warmup + steps
        let trainer = settings.trainer(shape: shape)
        let writer = try dump.map { path -> HDF5Writer in
            let w = try HDF5Writer(path: path)
            for (prefix, s) in [("encoder", trainer.encoder.params), ("predictor", trainer.predictor.params)] {
                for e in s.entries { try w.write("init/\(prefix)/\(e.name)", floats: s.value(e.offset), shape: e.shape) }
            }
            return w
        }

        let b = settings.batchSize, n = shape.numPatches, d = shape.patchDim
        let batch = FloatBuffer(b * n * d)
        let phases = StepPhases()
        var losses: [Double] = [], ctxTokens: [Int] = [], tgtTokens: [Int] = []
        var dataSeconds = 0.0, stepSeconds: [Double] = []
        var calls = GEMMReplay.Histogram()
        var attentionFlops = 0.0, inPlaceByShape: [GEMM.Call: Double] = [:]
        var epochOrder = EpochOrder(data)  // the epoch's shuffle once per epoch, as Pretrain does
        let reference = SgemmReference()  // sampled after each timed step, outside its time
        for s in 0..<total {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try data.batch(step: s, order: epochOrder.forStep(s), into: batch.pointer)
            let inputs = setUp.inputs(step: s)
            let t1 = DispatchTime.now().uptimeNanoseconds
            let masks = inputs.masks, lr = inputs.lr, wd = inputs.weightDecay, m = inputs.momentum
            if let w = writer {
                let g = "steps/\(s)"
                try w.write("\(g)/patches", floats: batch.pointer, shape: [b, n, d])
                try w.write("\(g)/context", int32s: masks.context, shape: [b, masks.contextCount])
                try w.write("\(g)/targets", int32s: masks.targets, shape: [masks.masks, b, masks.targetCount])
                try w.write("\(g)/schedule", doubles: [lr, wd, m], shape: [3])
            }
            trainer.observer = s >= warmup ? phases : nil
            var r: JEPATrainer.StepResult!
            let t2 = DispatchTime.now().uptimeNanoseconds
            if s >= warmup {
                // Recording costs a lock and an append per GEMM (~0.2% of a step).
                let recorded = GEMM.record {
                    attentionFlops += Attention.countFusedFlops {
                        r = trainer.step(patches: batch.pointer, inputs: inputs)
                    }
                }
                GEMMReplay.count(recorded, into: &calls)
                for (c, t) in GEMM.recordedSecondsByShape { inPlaceByShape[c, default: 0] += t }
            } else {
                r = trainer.step(patches: batch.pointer, inputs: inputs)
            }
            let t3 = DispatchTime.now().uptimeNanoseconds
            if let fault = JEPATrainer.fault(of: r) { throw PipelineError("bench: step \(s): \(fault)") }
            losses.append(r.loss)
            ctxTokens.append(masks.contextCount)
            tgtTokens.append(masks.targetCount)
            if s >= warmup {
                dataSeconds += Double(t1 - t0) / 1e9
                stepSeconds.append(Double(t3 - t2) / 1e9)
                reference.sample()
            }
        }
        trainer.observer = nil

        // The very GEMMs of the timed steps alone, as the steps ran them.
        let replay = GEMMReplay(calls)
        replay.run()  // first touch of its buffers
        let r0 = DispatchTime.now().uptimeNanoseconds
        replay.run()
        let replaySeconds = Double(DispatchTime.now().uptimeNanoseconds - r0) / 1e9 / Double(steps)
        // Per-head attention GEMMs (small, one worker each) against the rest.
        var regionSplit: [(flops: Double, seconds: Double)] = []
        for region in [true, false] {
            // Its buffers' first touch is a few ms against seconds of GEMMs: no warm-up run.
            let part = GEMMReplay(calls, only: region)
            let t0 = DispatchTime.now().uptimeNanoseconds
            part.run()
            regionSplit.append((part.flops / Double(steps), Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(steps)))
        }
        let shapeSeconds = shapes ? replay.serialShapeSeconds().map {
            ($0.call, Double($0.calls) / Double(steps), $0.seconds / Double(steps), (inPlaceByShape[$0.call] ?? 0) / Double(steps))
        } : []
        let flops = replay.flops / Double(steps)

        let result = Result(
            steps: steps, warmup: warmup, batch: b, secondsPerStep: stepSeconds.reduce(0, +) / Double(steps),
            phaseSeconds: StepPhase.allCases.compactMap { p in phases.seconds[p].map { (p.rawValue, $0 / Double(steps)) } },
            dataSecondsPerStep: dataSeconds / Double(steps), gemmFlopsPerStep: flops, gemmCallsPerStep: replay.callCount / steps,
            attentionFlopsPerStep: attentionFlops / Double(steps),
            replaySecondsPerStep: replaySeconds, inPlaceGEMMSecondsPerStep: inPlaceByShape.values.reduce(0, +) / Double(steps),
            regionSplit: regionSplit, sgemmSamples: reference.samples, peakResidentBytes: ResidentMemory.peakBytes(),
            losses: losses, stepSeconds: stepSeconds, contextTokens: ctxTokens, targetTokens: tgtTokens,
            precision: settings.precision, shapeSeconds: shapeSeconds)
        if let w = writer {
            try w.write("ours/losses", doubles: losses, shape: [losses.count])
            try w.setAttribute("steps", int: steps)
            try w.setAttribute("warmup", int: warmup)
            try w.setAttribute("batch", int: b)
            try w.setAttribute("channels", int: shape.channels)
            try w.setAttribute("patch_size", int: shape.patchSize)
            try w.setAttribute("grid", int: shape.gridSize)
            try w.setAttribute("embed_dim", int: shape.encoder.embedDim)
            try w.setAttribute("depth", int: shape.encoder.depth)
            try w.setAttribute("num_heads", int: shape.encoder.numHeads)
            try w.setAttribute("mlp_ratio", string: "\(shape.encoder.mlpRatio)")
            try w.setAttribute("pred_emb_dim", int: shape.predictorDim)
            try w.setAttribute("pred_depth", int: shape.predictorDepth)
            try w.setAttribute("loss", string: settings.loss.rawValue)
            try w.setAttribute("use_bfloat16", int: settings.precision == .bfloat16 ? 1 : 0)
            try w.setAttribute("ours_images_per_s", string: "\(result.imagesPerSecond)")
            try w.setAttribute("ours_median_images_per_s", string: "\(result.medianImagesPerSecond)")
            try w.setAttribute("ours_peak_rss_bytes", int: result.peakResidentBytes)
            try w.setAttribute("ours_threads", int: Parallel.threadCount)
            try w.close()
        }
        return result
    }

    public static func describe(_ r: Result, config: PipelineConfig) -> [String] {
        let ms = { (s: Double) in String(format: "%8.2f ms", s * 1000) }
        var lines = [
            "pipeline: \(config.source); batch \(r.batch), \(r.warmup) warm-up + \(r.steps) timed steps",
            "cpu: \(CPUInfo.model), class \(CPUInfo.cpuClass); threads: \(Parallel.threadCount); GEMM: \(GEMM.backendDescription)"
                + (r.precision == .bfloat16 ? "; \(BFloat16GEMM.routeDescription)" : ""),
            "context tokens \(mean(r.contextTokens)) and target tokens \(mean(r.targetTokens)) per block on average (timed steps)",
        ]
        func pad(_ s: String) -> String { "  " + s + String(repeating: " ", count: max(0, 22 - s.count)) }
        for (name, s) in r.phaseSeconds { lines.append(pad(name) + ms(s)) }
        lines.append(pad("data (not in step)") + ms(r.dataSecondsPerStep))
        lines.append(String(format: "step %.2f ms: %.1f images/s (median step: %.1f images/s)", r.secondsPerStep * 1000,
                            r.imagesPerSecond, r.medianImagesPerSecond))
        lines.append(String(format: "GEMM work %.3f GFLOP per step (%.3f per image), %d calls",
                            r.gemmFlopsPerStep / 1e9, r.gemmFlopsPerStep / 1e9 / Double(r.batch), r.gemmCallsPerStep))
        if r.attentionFlopsPerStep > 0 {
            lines.append(String(format: "fused attention %.3f GFLOP per step (one C kernel per sample and head, no GEMMs)",
                                r.attentionFlopsPerStep / 1e9))
        }
        lines.append(String(format: "achieved %.1f GFLOP/s (GEMMs and attention); the same GEMMs alone %.1f GFLOP/s (the step spends %.0f%% of its time in them)",
                            r.achievedRate, r.shapeSgemmRate, 100 * r.replaySecondsPerStep / r.secondsPerStep))
        let serialFlops = r.regionSplit.count == 2 ? r.regionSplit[1].flops : r.gemmFlopsPerStep
        lines.append(String(format: "in the step: the GEMMs outside per-worker regions %.2f ms (%.1f GFLOP/s), everything else %.2f ms",
                            r.inPlaceGEMMSecondsPerStep * 1000, serialFlops / r.inPlaceGEMMSecondsPerStep / 1e9,
                            (r.secondsPerStep - r.inPlaceGEMMSecondsPerStep) * 1000))
        for (name, part) in zip(["per-head attention GEMMs", "other GEMMs"], r.regionSplit) where part.flops > 0 {
            lines.append(String(format: "  %@: %.3f GFLOP per step, %.2f ms alone (%.1f GFLOP/s)", name,
                                part.flops / 1e9, part.seconds * 1000, part.flops / part.seconds / 1e9))
        }
        // The slowest 20, then the rest together (varying token counts make many small shapes).
        let shown = 20
        for (x, calls, s, inPlace) in r.shapeSeconds.prefix(shown) {
            let shape = "\(x.transA ? "T" : "N")\(x.transB ? "T" : "N") m \(x.m) n \(x.n) k \(x.k)"
            lines.append(String(format: "    %@ x%.1f: alone %.2f ms (%.1f GFLOP/s), in place %.2f ms (%.1f GFLOP/s)",
                                shape + String(repeating: " ", count: max(0, 28 - shape.count)), calls, s * 1000,
                                x.flops * calls / s / 1e9, inPlace * 1000, x.flops * calls / inPlace / 1e9))
        }
        if r.shapeSeconds.count > shown {
            let rest = r.shapeSeconds.dropFirst(shown)
            lines.append(String(format: "    %d more shapes: alone %.2f ms, in place %.2f ms", rest.count,
                                rest.reduce(0) { $0 + $1.seconds } * 1000, rest.reduce(0) { $0 + $1.inPlace } * 1000))
        }
        lines.append(String(format: "sgemm 1024^3 %.1f GFLOP/s (median of %d, one after each timed step: %.1f-%.1f): the step reaches %.2f of it, the same GEMMs alone %.2f",
                            r.peakSgemmRate, r.sgemmSamples.count, r.sgemmSamples.min() ?? 0, r.sgemmSamples.max() ?? 0,
                            r.achievedRate / r.peakSgemmRate, r.shapeSgemmRate / r.peakSgemmRate))
        lines.append(String(format: "peak resident memory %.1f MiB", Double(r.peakResidentBytes) / 1048576))
        lines.append("losses: " + r.losses.map { String(format: "%.5f", $0) }.joined(separator: " "))
        return lines
    }

    static func mean(_ xs: [Int]) -> String { String(format: "%.1f", Double(xs.reduce(0, +)) / Double(max(xs.count, 1))) }
}
