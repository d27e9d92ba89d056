import Foundation
import Imaging
import Pipeline
import Shards
import Threads

/// Prepare: images -> HDF5 patch shards with labels, split and normalisation
/// statistics, under artifacts/prepare/<key>/.
public enum PrepareStage: BuildingStage {
    public static let name = "prepare"
    public static let formatVersion = 1
    public static var upstream: [any Stage.Type] { [] }
    public static func inputs(_ s: PipelineSettings) -> PrepareInputs { PrepareInputs(s) }

    /// The source folder's digest: its relative paths and contents.
    public static func sourceDigests(_ config: PipelineConfig, store: ArtifactStore) throws -> [String: String] {
        let source = try SourceDiscovery.open(inputs(config.settings))
        return ["source": try SourceDiscovery.digest(of: source, cache: store.digestCache())]
    }

    public static func build(_ context: StageContext, request: NoRequest, into folder: String) throws -> StageResult {
        Allocator.keepLargeBlocks()
        let settings = inputs(context.config.settings)
        let source = try SourceDiscovery.open(settings)
        context.log.info("source \(settings.sourcePath) (\(source.kind), \(source.inputFiles.count) files), key \(context.key)")
        return try ShardBuilder(settings: settings, progressInterval: context.config.settings.logging.progressInterval,
                                source: source, directory: folder, log: context.log).run()
    }
}
