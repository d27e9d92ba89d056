import Numerics
import Pipeline
import Preparation
import Pretraining
import Threads
import Training

/// What a benchmark of real pretraining steps starts from, as Pretrain
/// starts: the pipeline's settings, its prepared train split, the model's
/// shape, masks and schedules.
struct BenchSetUp {
    let settings: PretrainInputs
    let data: TrainingData
    let shape: JEPAShape
    let sampler: MaskSampler
    let schedules: Schedules

    /// `models`: how many models the benchmark trains at once (the memory check).
    init(_ config: PipelineConfig, store: ArtifactStore, models: Int = 1) throws {
        try GEMM.checkEnvironment()
        Allocator.keepLargeBlocks()  // as Pretrain does
        settings = PretrainInputs(config.settings)
        let prepareKey = try PrepareStage.keyMaterial(config, store: store).key
        (data, shape, _) = try PretrainStage.setUp(settings, store: store, prepareKey: prepareKey, models: models)
        sampler = try settings.checkedMaskSampler(grid: shape.gridSize)
        schedules = settings.schedules(itersPerEpoch: data.itersPerEpoch)
    }

    /// Step `step`'s masks and schedule values.
    func inputs(step: Int) -> StepInputs {
        StepInputs(step: step, batch: settings.batchSize, sampler: sampler, schedules: schedules)
    }
}
