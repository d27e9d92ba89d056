/// `prepare`: how Prepare reads the source and writes shards.
public struct PrepareSettings: SettingsGroup {
    public enum Format: String, SettingChoice {
        case auto, idx, folder
    }
    public enum OnError: String, SettingChoice {
        case skip, fail
    }
    public enum Normalization: String, SettingChoice {
        /// Per-channel mean and std of the train pixels.
        case data
        /// The official transforms' ImageNet constants, for weights trained with them.
        case imagenet
    }

    /// torchvision's ImageNet mean and std, as the official code normalises.
    public static let imagenetStatistics = (mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    public var format = Format.auto
    public var channels = 3
    public var shardSize = 10000
    public var valFraction = 0.1
    public var splitSeed = 0
    public var limitTrain = 0
    public var limitVal = 0
    public var classNames: [String] = []
    public var gzipLevel = 1
    public var onError = OnError.skip
    public var normalization = Normalization.data
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("prepare.format", \.format, "source kind: auto, idx (MNIST-family files) or folder (class sub-folders)"),
        Field("prepare.channels", \.channels, "1 (gray) or 3 (RGB)",
              rule: { v in [1, 3].contains(v.intValue ?? 0) ? nil : "must be 1 or 3" }),
        Field("prepare.shard_size", \.shardSize, "most images per shard file", rule: Check.intRange(1)),
        Field("prepare.val_fraction", \.valFraction, "share of images put in val when the source has no split of its own",
              rule: Check.doubleRange(0, 1)),
        Field("prepare.split_seed", \.splitSeed, "seed of the path-hash split", rule: Check.intRange(0)),
        Field("prepare.limit_train", \.limitTrain, "keep an evenly spaced subset of N train images (0: all)",
              rule: Check.intRange(0)),
        Field("prepare.limit_val", \.limitVal, "keep an evenly spaced subset of N val images (0: all)",
              rule: Check.intRange(0)),
        Field("prepare.class_names", \.classNames,
              "class names by label index for sources without names (IDX); empty: the label numbers"),
        Field("prepare.gzip_level", \.gzipLevel, "HDF5 deflate level of the patch data (0: none)",
              rule: Check.intRange(0, 9)),
        Field("prepare.on_error", \.onError, "an unreadable image: skip (reported and counted) or fail"),
        Field("prepare.normalization", \.normalization,
              "pixel normalisation: data (per-channel mean and std of the train split) or imagenet (the official code's constants, with 3 channels: to probe weights trained on ImageNet)",
              keyedAtDefault: false, rule: Check.oneOf(Normalization.choices)),
    ]

    public func crossCheck() throws(SettingError) {
        if normalization == .imagenet && channels != 3 {
            throw SettingError("prepare.normalization", "imagenet needs prepare.channels 3 (got \(channels))")
        }
    }
}
