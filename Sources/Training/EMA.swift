import Numerics

/// The target encoder follows the context encoder as an exponential moving
/// average, target = m·target + (1 − m)·online; it never receives gradients.
public enum EMA {
    public static func update(target: ParameterStore, online: ParameterStore, momentum: Double) {
        precondition(target.count == online.count)
        let m = Float(momentum), t = target.values, o = online.values
        for i in 0..<target.count { t[i] = m * t[i] + (1 - m) * o[i] }
    }
}
