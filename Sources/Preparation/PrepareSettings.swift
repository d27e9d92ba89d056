import Pipeline

/// The config values the Prepare stage reads (and nothing else: these, the
/// raw-input digest and the format version make its artifact key).
public struct PrepareSettings: Sendable {
    public static let keys = ["data.root_path", "data.image_folder", "data.crop_size", "mask.patch_size"]
    public static let sections = ["prepare"]

    public let view: ConfigView
    public let rootPath: String
    public let imageFolder: String
    public let cropSize: Int
    public let patchSize: Int
    public let format: String
    public let channels: Int
    public let shardSize: Int
    public let valFraction: Double
    public let splitSeed: Int
    public let limitTrain: Int
    public let limitVal: Int
    public let classNames: [String]
    public let gzipLevel: Int
    public let failOnError: Bool
    public let progressInterval: Double

    public init(_ config: PipelineConfig) {
        let v = config.view(keys: Self.keys, sections: Self.sections)
        view = v
        rootPath = v.string("data.root_path")
        imageFolder = v.string("data.image_folder")
        cropSize = v.int("data.crop_size")
        patchSize = v.int("mask.patch_size")
        format = v.string("prepare.format")
        channels = v.int("prepare.channels")
        shardSize = v.int("prepare.shard_size")
        valFraction = v.double("prepare.val_fraction")
        splitSeed = v.int("prepare.split_seed")
        limitTrain = v.int("prepare.limit_train")
        limitVal = v.int("prepare.limit_val")
        classNames = v.strings("prepare.class_names")
        gzipLevel = v.int("prepare.gzip_level")
        failOnError = v.string("prepare.on_error") == "fail"
        // Presentation only: not part of the artifact key.
        progressInterval = config.values["logging.progress_interval"]?.doubleValue ?? 10
    }

    /// root_path/image_folder (a relative root is taken from the working directory).
    public var sourcePath: String {
        let folder = imageFolder.hasPrefix("/") ? imageFolder : "\(rootPath)/\(imageFolder)"
        return folder.replacingOccurrences(of: "//", with: "/")
    }

    public var gridSize: Int { cropSize / patchSize }
    public var numPatches: Int { gridSize * gridSize }
    public var patchDim: Int { channels * patchSize * patchSize }
}
