import Random

public enum Initialization {
    /// Normal(0, std) redrawn outside [a, b]: PyTorch's trunc_normal_ as
    /// the official code calls it (std 0.02, bounds ±2 absolute).
    public static func truncatedNormal(_ p: UnsafeMutablePointer<Float>, count: Int, std: Double,
                                       a: Double = -2, b: Double = 2, rng: inout SeededGenerator) {
        for i in 0..<count {
            var v: Double
            repeat { v = rng.normal() * std } while v < a || v > b
            p[i] = Float(v)
        }
    }
}
