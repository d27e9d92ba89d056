import Foundation

/// A small, fast, seedable generator (SplitMix64): the same seed gives the
/// same weights on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = Double(next() >> 11 + 1) / Double(1 << 53)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

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
