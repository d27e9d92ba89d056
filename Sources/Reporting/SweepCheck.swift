import Pipeline

/// Checks every variant of a sweep as the stages would, before any of them
/// runs: a mask setting that can never be sampled fails here, naming the
/// variant, not an hour into the sweep.
public enum SweepCheck {
    public static func validate(_ sweep: SweepFile, overrides: [String] = []) throws {
        for i in 0..<sweep.variantCount {
            // Loading a variant checks every rule, the masks' geometry included.
            do { _ = try sweep.config(variant: i, extra: overrides) } catch {
                throw PipelineError("\(sweep.path): variant \(i) (\(sweep.label(i))): \(error)")
            }
        }
    }
}
