import Pipeline

/// What Prepare reads: the image source, the patch size and its own
/// section. These, the raw-input digest and the format version make its
/// artifact key, so mask or training changes reuse the shards.
public struct PrepareInputs: StageInputs {
    public let source: SourceSettings
    public let patchSizeKey: Keyed<Int>
    public let prepare: PrepareSettings

    public init(_ s: PipelineSettings) {
        source = s.data.source
        patchSizeKey = s.mask.keyed(\.patchSize)
        prepare = s.prepare
    }

    /// root_path/image_folder (a relative root is taken from the working directory).
    public var sourcePath: String { source.path }
    public var cropSize: Int { source.cropSize }
    public var patchSize: Int { patchSizeKey.value }
    public var channels: Int { prepare.channels }
    public var gridSize: Int { cropSize / patchSize }
    public var numPatches: Int { gridSize * gridSize }
    public var patchDim: Int { channels * patchSize * patchSize }
}
