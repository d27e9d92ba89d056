/// The named phases of a training step, in the order they run.
public enum StepPhase: String, CaseIterable, Sendable {
    case targetForward = "target forward"
    case contextForward = "context forward"
    case predictorForward = "predictor forward"
    case loss = "loss"
    case predictorBackward = "predictor backward"
    case contextBackward = "context backward"
    case allreduce = "gradient allreduce"
    case optimizer = "optimizer+EMA"
}

/// Something that wraps each phase of a step (the benchmark's clock). The
/// trainer has none unless one is given, so training pays nothing for it.
public protocol StepObserver: AnyObject {
    func phase<T>(_ phase: StepPhase, _ body: () -> T) -> T
}

extension Optional where Wrapped == any StepObserver {
    @inline(__always)
    func phase<T>(_ phase: StepPhase, _ body: () -> T) -> T {
        switch self {
        case .some(let o): return o.phase(phase, body)
        case .none: return body()
        }
    }
}
