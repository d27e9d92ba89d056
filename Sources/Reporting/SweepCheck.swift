import Pipeline
import Pretraining
import Probing

/// Checks every variant of a sweep as the stages would, before any of them
/// runs: a mask setting that can never be sampled fails here, naming the
/// variant, not an hour into the sweep.
public enum SweepCheck {
    public static func validate(_ sweep: SweepFile, overrides: [String] = []) throws {
        for i in 0..<sweep.variantCount {
            let config = try sweep.config(variant: i, extra: overrides)
            do {
                let pretrain = try PretrainSettings(config)
                _ = try ProbeSettings(config)
                let grid = config.values["data.crop_size"]!.intValue! / config.values["mask.patch_size"]!.intValue!
                if let reason = pretrain.maskSampler(grid: grid).validate() { throw PipelineError(reason) }
            } catch {
                throw PipelineError("\(sweep.path): variant \(i) (\(sweep.label(i))): \(error)")
            }
        }
    }
}
