import Foundation

/// A small, fast, seedable generator (SplitMix64): the same seed gives the
/// same stream on every machine and with every standard library, which
/// `SystemRandomNumberGenerator` and `shuffle(using:)` do not promise.
/// Seeds come from `SeedStream`, one named derivation per use.
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

    /// Uniform in [0, 1) from the top 53 bits.
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in 0..<n by modulo (n <= 1 gives 0 and draws nothing).
    public mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    /// Fisher-Yates from the back, each swap partner drawn with `below`: the
    /// one shuffle of epoch orders, written out so it never changes with the
    /// standard library.
    public mutating func shuffle(_ a: inout [Int]) {
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = Double(next() >> 11 + 1) / Double(1 << 53)
        let u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
