/// The official I-JEPA pretraining transforms, in their order: random
/// resized crop, horizontal flip, colour distortion, Gaussian blur
/// (facebookresearch/ijepa, src/transforms.py).
public struct Augmentation: Sendable {
    /// Area range of the random resized crop; [1, 1] is no crop.
    public var cropScale: ClosedRange<Double>
    public var horizontalFlip: Bool
    /// The colour distortion's strength, or nil for none.
    public var colorJitterStrength: Double?
    public var gaussianBlur: Bool

    public init(cropScale: ClosedRange<Double>, horizontalFlip: Bool = false, colorJitterStrength: Double? = nil,
                gaussianBlur: Bool = false) {
        self.cropScale = cropScale
        self.horizontalFlip = horizontalFlip
        self.colorJitterStrength = colorJitterStrength
        self.gaussianBlur = gaussianBlur
    }

    var crops: Bool { cropScale.lowerBound < 1 || cropScale.upperBound < 1 }
    /// False when every transform is off: batches are the stored images.
    var changesImages: Bool { crops || horizontalFlip || colorJitterStrength != nil || gaussianBlur }
}
