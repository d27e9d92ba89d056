/// Flags a gradient norm far above the recent ones (an exploding gradient,
/// usually the first sign of a diverging run) while training goes on: the
/// norm of every step is in log.csv; this names the steps worth a look.
struct GradientMonitor {
    /// A norm this many times the median of the recent ones is flagged.
    static let factor = 10.0
    static let window = 50
    private var recent: [Double] = []
    private var lastWarned: Int? = nil

    /// A warning for this step, or nil; at most one per window of steps.
    mutating func observe(_ norm: Double, step: Int) -> String? {
        defer {
            recent.append(norm)
            if recent.count > Self.window { recent.removeFirst() }
        }
        guard recent.count >= 10, norm.isFinite else { return nil }
        let median = recent.sorted()[recent.count / 2]
        guard median > 0, norm > Self.factor * median, step - (lastWarned ?? step - Self.window) >= Self.window else {
            return nil
        }
        lastWarned = step
        return "step \(step): gradient norm \(norm) is \(Int(norm / median))x the median of the last \(recent.count) steps (\(median)): the run may be diverging (log.csv has every step's norm)"
    }
}
