extension UInt8 {
    /// The nearest sample to `value` (ties up), clamped to [0, 255]: how the
    /// float results of the augmentations return to uint8.
    @inline(__always)
    init(clampingRounded value: Float) {
        self.init(Swift.min(255, Swift.max(0, value)) + 0.5)
    }
}
