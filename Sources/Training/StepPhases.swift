import Dispatch

/// Wall time per phase of a training step, accumulated over steps, for the
/// benchmark. Off unless a trainer is given one.
public final class StepPhases {
    public enum Phase: String, CaseIterable, Sendable {
        case targetForward = "target forward"
        case contextForward = "context forward"
        case predictorForward = "predictor forward"
        case loss = "loss"
        case predictorBackward = "predictor backward"
        case contextBackward = "context backward"
        case allreduce = "gradient allreduce"
        case optimizer = "optimizer+EMA"
    }

    public private(set) var seconds: [Phase: Double] = [:]

    public init() {}

    public func reset() { seconds = [:] }

    @inline(__always)
    func time<T>(_ phase: Phase, _ body: () -> T) -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = body()
        seconds[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return r
    }
}

extension Optional where Wrapped == StepPhases {
    @inline(__always)
    func time<T>(_ phase: StepPhases.Phase, _ body: () -> T) -> T {
        switch self {
        case .some(let p): return p.time(phase, body)
        case .none: return body()
        }
    }
}
