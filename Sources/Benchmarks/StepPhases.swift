import Dispatch
import Training

/// Wall time per phase of a training step, accumulated over the steps it
/// observes.
public final class StepPhases: StepObserver {
    public private(set) var seconds: [StepPhase: Double] = [:]

    public init() {}

    public func reset() { seconds = [:] }

    @inline(__always)
    public func phase<T>(_ phase: StepPhase, _ body: () -> T) -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = body()
        seconds[phase, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return r
    }
}
