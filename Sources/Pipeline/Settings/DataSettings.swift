/// `data`: where the images are and how pretraining batches them. Three
/// groups, because Prepare depends on the first alone, Pretrain on the
/// second alone, and the third only matters to the official GPU loader.
public struct DataSettings: SettingsGroup {
    public var source = SourceSettings()
    public var loading = LoadingSettings()
    public var gpuLoader = GPULoaderSettings()
    public init() {}

    public static let fields = SourceSettings.fields.map { $0.lifted(\Self.source) }
        + LoadingSettings.fields.map { $0.lifted(\Self.loading) }
        + GPULoaderSettings.fields.map { $0.lifted(\Self.gpuLoader) }

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
              official: .differs("the random crop's output size there; here Prepare's image size, which the pretraining crop is cut from and resized back to"),
              rule: Check.intRange(1, 4096)),
    ]

    /// root_path/image_folder (a relative root is taken from the working directory).
    public var path: String {
        let folder = imageFolder.hasPrefix("/") ? imageFolder : "\(rootPath)/\(imageFolder)"
        return folder.replacingOccurrences(of: "//", with: "/")
    }
}

/// Pretraining batches: their size and augmentation (the official
/// transforms, in their order: crop, flip, colour distortion, blur).
public struct LoadingSettings: SettingsGroup {
    public var batchSize = 128
    public var cropScale = 0.3...1.0
    public var useHorizontalFlip = false
    public var useColorDistortion = false
    public var colorJitterStrength = 0.0
    public var useGaussianBlur = false
    public var bufferMB = 1024.0
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("data.batch_size", \.batchSize, "images per training step, over all MPI ranks",
              official: .differs("per process there; the same on one process"), rule: Check.intRange(1)),
        Field("data.crop_scale", \.cropScale, "area range of the random resized crop during pretraining",
              official: .differs("a share of the original image there, of the prepared crop_size image here"),
              rule: Check.interval(0, 1, openLow: true)),
        Field("data.use_horizontal_flip", \.useHorizontalFlip, "random horizontal flips during pretraining"),
        Field("data.use_color_distortion", \.useColorDistortion,
              "colour jitter (p 0.8; brightness, contrast, saturation 0.8·s, hue 0.2·s, in random order) then grayscale (p 0.2) during pretraining; saturation, hue and grayscale leave 1-channel images as they are",
              keyedAtDefault: false),
        Field("data.color_jitter_strength", \.colorJitterStrength, "s of use_color_distortion",
              keyedAtDefault: false, rule: Check.doubleRange(0, 2.5)),
        Field("data.use_gaussian_blur", \.useGaussianBlur,
              "Gaussian blur (p 0.5, sigma uniform in [0.1, 2.0] pixels) during pretraining", keyedAtDefault: false),
        Field("data.buffer_mb", \.bufferMB,
              "MiB of train images Pretrain holds: a train split that fits is loaded whole and shuffled whole each epoch; a larger one is streamed from its shards, its chunks in a seeded order and shuffled a window of half this size at a time (docs/memory.md)",
              official: .ours, keyedAtDefault: false, rule: Check.doubleRange(0, 1_048_576, openLow: true)),
    ]
}

extension LoadingSettings {
    /// The strength enters the key only with the distortion on: alone it changes nothing.
    public var keyEntries: [(path: String, value: JSON)] {
        useColorDistortion ? fieldKeyEntries : fieldKeyEntries.filter { $0.path != "data.color_jitter_strength" }
    }

    /// data.buffer_mb in bytes.
    public var bufferBytes: Int { Int(bufferMB * 1_048_576) }
}

/// The official DataLoader's settings: accepted so official configs load,
/// reported when set, unused by the CPU pipeline.
public struct GPULoaderSettings: SettingsGroup {
    public var numWorkers = 10
    public var pinMem = true
    public init() {}

    public static let fields: [Field<Self>] = [
        Field("data.num_workers", \.numWorkers, "DataLoader worker processes of the official code (not used here)",
              official: .ignoredOnCPU, rule: Check.intRange(0)),
        Field("data.pin_mem", \.pinMem, "pinned host memory of the official code's DataLoader (not used here)",
              official: .ignoredOnCPU),
    ]
}
