import Numerics
import Threads

/// The target encoder follows the context encoder as an exponential moving
/// average, target = μ·target + (1 − μ)·online; it never receives gradients.
public enum EMA {
    public static func update(target: ParameterStore, online: ParameterStore, momentum: Double) {
        precondition(target.count == online.count)
        let mu = Float(momentum), t = SharedPointer(target.values), o = SharedPointer(online.values)
        Parallel.forChunks(target.count) { _, range in
            for i in range { t.base[i] = mu * t.base[i] + (1 - mu) * o.base[i] }
        }
    }
}
