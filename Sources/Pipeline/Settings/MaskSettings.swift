import MaskGeometry

/// `mask`: the patch grid and I-JEPA's multi-block masks.
public struct MaskSettings: SettingsGroup {
    public var patchSize = 16
    public var aspectRatio = 0.75...1.5
    public var encMaskScale = 0.85...1.0
    public var predMaskScale = 0.15...0.2
    public var numEncMasks = 1
    public var numPredMasks = 4
    public var minKeep = 10
    public var allowOverlap = false
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("mask.patch_size", \.patchSize, "side of a square patch in pixels", rule: Check.intRange(1, 1024)),
        Field("mask.aspect_ratio", \.aspectRatio, "aspect-ratio range of target blocks",
              rule: Check.interval(0, 100, openLow: true)),
        Field("mask.enc_mask_scale", \.encMaskScale, "area range of the context block",
              rule: Check.interval(0, 1, openLow: true)),
        Field("mask.pred_mask_scale", \.predMaskScale, "area range of each target block",
              rule: Check.interval(0, 1, openLow: true)),
        Field("mask.num_enc_masks", \.numEncMasks, "context blocks per image (only 1 is supported)",
              official: .differs("any number there; 1 here, as in every official config"), rule: { $0 == .int(1) ? nil : "only 1 context block per image is supported" }),
        Field("mask.num_pred_masks", \.numPredMasks, "target blocks per image", rule: Check.intRange(1, 64)),
        Field("mask.min_keep", \.minKeep, "every context and target block keeps more than this many patches", rule: Check.intRange(1)),
        Field("mask.allow_overlap", \.allowOverlap, "let context and target blocks overlap"),
    ]

    /// The masks must always be sampleable on the grid (the official
    /// collator would retry forever).
    public func checkGeometry(grid: Int) throws(SettingError) {
        let geometry = BlockGeometry(grid: grid)
        switch geometry.problem(predScale: predMaskScale, aspectRatio: aspectRatio, encScale: encMaskScale, minKeep: minKeep) {
        case nil: return
        case .targetTooSmall(let h, let w):
            throw SettingError("mask.pred_mask_scale", "\(Self.shown(predMaskScale)) with mask.aspect_ratio \(Self.shown(aspectRatio)) gives target blocks of "
                + "\(h)x\(w) = \(h * w) patches on the \(grid)x\(grid) grid, not more than mask.min_keep "
                + "(\(minKeep)): such a block can never be kept (the official collator would retry forever); "
                + "raise pred_mask_scale or lower min_keep")
        case .contextTooSmall(let h, let w):
            throw SettingError("mask.enc_mask_scale", "\(Self.shown(encMaskScale)) gives context blocks of \(h)x\(w) = \(h * w) patches on "
                + "the \(grid)x\(grid) grid, not more than mask.min_keep (\(minKeep)); raise enc_mask_scale or lower min_keep")
        }
    }

    /// A range as the error messages show it: (low, high).
    static func shown(_ r: ClosedRange<Double>) -> String { "(\(r.lowerBound), \(r.upperBound))" }
}
