/// What training step `step` consumes besides its images: the masks and the
/// scheduled hyper-parameters. A pure function of the step (the sampler is
/// seeded by step, the schedules are closed forms), which is what lets a
/// resumed run, the benchmark and the debug dump see exactly the same step.
public struct StepInputs: Sendable {
    public let step: Int
    public let masks: MaskBatch
    public let lr: Double
    public let weightDecay: Double
    /// EMA momentum of the target encoder.
    public let momentum: Double

    public init(step: Int, batch: Int, sampler: MaskSampler, schedules: Schedules) {
        self.step = step
        masks = sampler.sample(step: step, batch: batch)
        lr = schedules.learningRate(step)
        weightDecay = schedules.weightDecay(step)
        momentum = schedules.momentum(step)
    }
}

/// The sample order of the epoch a step falls in, kept for one epoch at a
/// time (a shuffle of the whole train split per epoch, not per step).
public struct EpochOrder {
    private let data: TrainingData
    private var cached: (epoch: Int, indices: [Int]) = (-1, [])

    public init(_ data: TrainingData) { self.data = data }

    public mutating func forStep(_ step: Int) -> [Int] {
        let epoch = step / data.itersPerEpoch
        if cached.epoch != epoch { cached = (epoch, data.order(epoch: epoch)) }
        return cached.indices
    }
}
