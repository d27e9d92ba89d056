/// `data`: where the images are and how pretraining batches them. Two
/// groups, because Prepare depends on the first alone and Pretrain on the
/// second alone.
public struct DataSettings: SettingsGroup {
    public var source = SourceSettings()
    public var loading = DataLoading()
    public init() {}

    public static let fields = SourceSettings.fields.map { $0.lifted(\Self.source) }
        + DataLoading.fields.map { $0.lifted(\Self.loading) }

    public func crossCheck() throws(SettingError) {
        try source.crossCheck()
        try loading.crossCheck()
    }
}

/// The image folder and the image size Prepare makes of it.
public struct SourceSettings: SettingsGroup {
    public var rootPath = ""
    public var imageFolder = ""
    public var cropSize = 224
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("data.root_path", \.rootPath,
              "folder that holds the data set folder (relative paths are resolved from the working directory)",
              required: true, rule: Check.nonEmptyString()),
        Field("data.image_folder", \.imageFolder,
              "data set folder under root_path: class sub-folders (optionally train/ and val/) or MNIST-family IDX files",
              required: true, rule: Check.nonEmptyString()),
        Field("data.crop_size", \.cropSize, "side of the square image after resize and centre crop",
              rule: Check.intRange(1, 4096)),
    ]

    /// root_path/image_folder (a relative root is taken from the working directory).
    public var path: String {
        let folder = imageFolder.hasPrefix("/") ? imageFolder : "\(rootPath)/\(imageFolder)"
        return folder.replacingOccurrences(of: "//", with: "/")
    }
}

/// Pretraining batches: their size and augmentation.
public struct DataLoading: SettingsGroup {
    public var batchSize = 128
    public var cropScale = 0.3...1.0
    public var useHorizontalFlip = false
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("data.batch_size", \.batchSize, "images per training step", rule: Check.intRange(1)),
        Field("data.crop_scale", \.cropScale, "area range of the random resized crop during pretraining",
              rule: Check.interval(0, 1, openLow: true)),
        Field("data.use_horizontal_flip", \.useHorizontalFlip, "random horizontal flips during pretraining"),
    ]
}
