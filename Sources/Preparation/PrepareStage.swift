import Foundation
import Imaging
import Pipeline
import Shards
import Threads

/// Prepare: images -> HDF5 patch shards with labels, split and normalisation
/// statistics, under artifacts/prepare/<key>/.
public enum PrepareStage: Stage {
    public static let name = "prepare"
    public static let formatVersion = 1
    public static var upstream: [any Stage.Type] { [] }
    public static func settings(_ s: PipelineSettings) -> PrepareSettings { PrepareSettings(s) }

    public struct Outcome: Sendable {
        public let key: String
        public let directory: String
        /// False when an existing artifact was reused.
        public let built: Bool
        public let manifest: JSON
    }

    /// The source folder's digest: its relative paths and contents.
    public static func inputs(_ config: PipelineConfig, store: ArtifactStore) throws -> [String: String] {
        let source = try SourceDiscovery.open(settings(config.settings))
        return ["source": try SourceDiscovery.digest(of: source, cache: store.digestCache())]
    }

    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false) throws -> Outcome {
        let log = Console.logger(name)
        let started = Date()
        let settings = PrepareSettings(config.settings)
        let source = try SourceDiscovery.open(settings)
        let digest = try SourceDiscovery.digest(of: source, cache: store.digestCache())
        let material = try keyMaterial(config, store: store, inputs: ["source": digest])
        let key = material.key
        let dir = store.directory(stage: name, key: key)
        return try store.buildOnce(stage: name, key: key, force: force, log: log) { manifest in
            Outcome(key: key, directory: dir, built: false, manifest: manifest)
        } build: {
            Allocator.keepLargeBlocks()
            log.info("source \(settings.sourcePath) (\(source.kind), \(source.inputFiles.count) files), key \(key)")
            let manifest = try store.build(material, started: started) { tmp in
                try ShardBuilder(settings: settings, progressInterval: config.settings.logging.progressInterval,
                                 source: source, directory: tmp, log: log).run()
            }
            log.info("wrote \(dir)")
            return Outcome(key: key, directory: dir, built: true, manifest: manifest)
        }
    }
}
