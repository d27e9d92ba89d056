import Foundation

/// The official I-JEPA schedules as pure functions of the 0-based iteration
/// (so a resumed run reads the same values). The official schedulers are
/// stepped before each iteration's update, so iteration i uses their step
/// i + 1; the momentum generator yields its value i at iteration i.
public struct Schedules: Sendable {
    /// Steps actually trained: epochs · ipe.
    public let trainingSteps: Int
    /// Length the schedules span: int(ipe_scale · epochs · ipe) (ipe_scale > 1
    /// stretches them, so training ends before they reach their final values).
    public let totalSteps: Int
    let momentumSpan: Double
    public let warmupSteps: Int
    public let startLR: Double, peakLR: Double, finalLR: Double
    public let weightDecay: Double, finalWeightDecay: Double
    public let emaStart: Double, emaEnd: Double

    /// `itersPerEpoch` (ipe) steps per epoch; the schedules span
    /// ipe_scale · epochs · ipe steps, warm-up spans warmup · ipe.
    public init(itersPerEpoch ipe: Int, epochs: Int, ipeScale: Double, warmupEpochs: Double,
                startLR: Double, peakLR: Double, finalLR: Double,
                weightDecay: Double, finalWeightDecay: Double, ema: ClosedRange<Double>) {
        trainingSteps = epochs * ipe
        totalSteps = Int(ipeScale * Double(epochs * ipe))
        momentumSpan = Double(ipe) * Double(epochs) * ipeScale
        warmupSteps = Int(warmupEpochs * Double(ipe))
        self.startLR = startLR
        self.peakLR = peakLR
        self.finalLR = finalLR
        self.weightDecay = weightDecay
        self.finalWeightDecay = finalWeightDecay
        emaStart = ema.lowerBound
        emaEnd = ema.upperBound
    }

    /// Linear warm-up from start_lr to lr, then cosine to final_lr.
    public func learningRate(_ iteration: Int) -> Double {
        let step = iteration + 1
        if step < warmupSteps {
            return startLR + Double(step) / Double(max(1, warmupSteps)) * (peakLR - startLR)
        }
        let progress = Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps))
        return max(finalLR, finalLR + (peakLR - finalLR) * 0.5 * (1 + cos(Double.pi * progress)))
    }

    /// Cosine from weight_decay to final_weight_decay.
    public func weightDecay(_ iteration: Int) -> Double {
        let progress = Double(iteration + 1) / Double(max(1, totalSteps))
        let wd = finalWeightDecay + (weightDecay - finalWeightDecay) * 0.5 * (1 + cos(Double.pi * progress))
        return finalWeightDecay <= weightDecay ? max(finalWeightDecay, wd) : min(finalWeightDecay, wd)
    }

    /// EMA momentum, linear from ema[0] to ema[1] over the run.
    public func momentum(_ iteration: Int) -> Double {
        emaStart + Double(iteration) * (emaEnd - emaStart) / max(1, momentumSpan)
    }
}
