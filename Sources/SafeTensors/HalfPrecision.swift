/// Exact widening of 16-bit floats to Float. Done on bit patterns rather than
/// with `Float16`, which Swift does not offer on every platform (macOS x86_64).
enum HalfPrecision {
    /// IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits.
    static func float(fromF16 bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1f
        let fraction = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction × 2^-24, exact because 2^-24 is a normal Float.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1f:
            // Infinity or NaN; the NaN payload is kept in the top fraction bits.
            return Float(bitPattern: sign | 0x7f80_0000 | fraction << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | fraction << 13)
        }
    }

    /// bfloat16 is the top half of a binary32.
    static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
