import Numerics
import Threads

/// The target encoder follows the context encoder as an exponential moving
/// average, target = m·target + (1 − m)·online; it never receives gradients.
public enum EMA {
    public static func update(target: ParameterStore, online: ParameterStore, momentum: Double) {
        precondition(target.count == online.count)
        let m = Float(momentum), t = SharedPointer(target.values), o = SharedPointer(online.values)
        Parallel.forChunks(target.count) { _, range in
            for i in range { t.base[i] = m * t.base[i] + (1 - m) * o.base[i] }
        }
    }
}
