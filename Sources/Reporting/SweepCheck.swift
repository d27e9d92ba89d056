import Pipeline

/// Checks every variant of a sweep as the stages would, before any of them
/// runs: a mask setting that can never be sampled fails here, naming the
/// variant, not an hour into the sweep.
public enum SweepCheck {
    public static func validate(_ sweep: SweepFile, overrides: [String] = []) throws {
        // Loading a run checks every rule, the masks' geometry included (its
        // error names the file, variant and seed).
        for run in sweep.runs { _ = try sweep.config(run, extra: overrides) }
    }
}
