import Foundation
import Logging

/// What a stage's build is given: the configuration, the store, its log,
/// the key material of the artifact it builds, and its upstream artifacts by
/// stage type (never by name).
public struct StageContext {
    public let config: PipelineConfig
    public let store: ArtifactStore
    public let log: Logger
    /// Rebuild this stage's own artifacts (and its auxiliary ones) even when up to date.
    public let force: Bool
    /// When the run began, for the manifest's total time.
    public let started: Date
    public let material: ArtifactKeyMaterial

    public var key: String { material.key }
    /// Where the artifact is published.
    public var directory: String { store.directory(stage: material.stage, key: key) }
    /// A folder that outlives a failed or stopped attempt at this key
    /// (Pretrain's checkpoints, to resume from); the driver removes it once
    /// the artifact is published.
    public var workDirectory: String { "\(store.root)/\(material.stage)/.work-\(key)" }

    /// The key of the upstream artifact of `stage`.
    public func upstreamKey(_ stage: any Stage.Type) -> String { material.upstreamKey(stage) }

    /// The folder of the upstream artifact of `stage`, checked complete
    /// (a one-line error naming `make <makeTarget>` otherwise).
    @discardableResult
    public func upstream(_ stage: any Stage.Type, makeTarget: String) throws -> (directory: String, manifest: JSON) {
        let key = upstreamKey(stage)
        let manifest = try store.requireInput(stage: stage.name, key: key, makeTarget: makeTarget)
        return (store.directory(stage: stage.name, key: key), manifest)
    }
}

/// What a run of a stage did.
public struct StageOutcome: Sendable {
    public let stage: String
    public let key: String
    /// The artifact, or the work folder of a run stopped before it was complete.
    public let directory: String
    /// False when an up-to-date artifact was reused (or the run stopped early).
    public let built: Bool
    /// False when the run stopped before its artifact was complete (`StageStopped`).
    public let complete: Bool
    /// The artifact's manifest (`.null` for a run stopped early, and on MPI ranks other than 0).
    public let manifest: JSON

    /// The outcome on a process that trains beside the one that publishes (an MPI rank other than 0).
    public static func replica(stage: String, key: String, directory: String, built: Bool, complete: Bool) -> StageOutcome {
        StageOutcome(stage: stage, key: key, directory: directory, built: built, complete: complete, manifest: .null)
    }
}

/// Thrown by a build that stopped on purpose before its artifact was
/// complete, leaving its work folder to continue from (Pretrain's
/// --stop-after): the driver publishes nothing and reports an incomplete outcome.
public struct StageStopped: Error {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// How a run of a stage is asked for beyond its configuration: nothing for
/// most stages; Pretrain's resume flags, step budget and MPI ranks.
public protocol StageRequest {
    /// Called once the driver knows whether this run builds (true) or
    /// reuses (false), before the build starts: Pretrain tells its other
    /// MPI ranks.
    func decided(building: Bool)
}

extension StageRequest {
    public func decided(building: Bool) {}
}

/// The request of a stage that takes none.
public struct NoRequest: StageRequest {
    public init() {}
}

/// A stage the driver runs: it writes its artifact's files into a staging
/// folder and says what to record; the driver does the rest (log lines, key,
/// reuse, lock, publish, work folder).
public protocol BuildingStage: Stage {
    associatedtype Request: StageRequest = NoRequest
    /// Writes the artifact of `context.material` into `folder`.
    static func build(_ context: StageContext, request: Request, into folder: String) throws -> StageResult
    /// What the "wrote" line adds in parentheses (Pretrain: its loss), from the published manifest.
    static func summary(_ manifest: JSON) -> String?
}

extension BuildingStage {
    public static func summary(_ manifest: JSON) -> String? { nil }

    /// Builds the artifact of `config`, or reuses it when it is up to date.
    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false,
                           request: Request, log: Logger? = nil) throws -> StageOutcome {
        let log = log ?? Console.logger(name)
        let started = Date()
        let material = try keyMaterial(config, store: store)
        return try StageDriver.run(material: material, config: config, store: store, force: force, log: log,
                                   started: started, decided: request.decided, summary: summary) { context, folder in
            try build(context, request: request, into: folder)
        }
    }
}

extension BuildingStage where Request == NoRequest {
    public static func run(_ config: PipelineConfig, store: ArtifactStore, force: Bool = false) throws -> StageOutcome {
        try run(config, store: store, force: force, request: NoRequest())
    }
}

/// The one path from key material to a published artifact, for the stages,
/// the report (keyed over many runs) and the probe's baselines.
public enum StageDriver {
    /// Reuses the artifact of `material` when it verifies (and `force` is
    /// off); otherwise, holding its lock, runs `build` in a staging folder
    /// and publishes it. `reused` and `wrote` name a reuse and a build in
    /// the log ("up to date", "wrote"); `shown` is the path the log lines
    /// name (default: the artifact folder).
    public static func run(material: ArtifactKeyMaterial, config: PipelineConfig, store: ArtifactStore, force: Bool,
                           log: Logger, started: Date = Date(), reused: String? = "up to date", wrote: String = "wrote",
                           shown: String? = nil,
                           decided: (Bool) -> Void = { _ in }, summary: (JSON) -> String? = { _ in nil },
                           build: (StageContext, String) throws -> StageResult) throws -> StageOutcome {
        let context = StageContext(config: config, store: store, log: log, force: force, started: started, material: material)
        let stage = material.stage, key = material.key, dir = context.directory
        return try store.buildOnce(stage: stage, key: key, force: force, log: log, reused: reused, shown: shown) { manifest in
            decided(false)
            return StageOutcome(stage: stage, key: key, directory: dir, built: false, complete: true, manifest: manifest)
        } build: {
            decided(true)
            let manifest: JSON
            do {
                manifest = try store.build(material, started: started) { folder in try build(context, folder) }
            } catch let stop as StageStopped {
                log.info("\(stop.message)")
                return StageOutcome(stage: stage, key: key, directory: context.workDirectory, built: false, complete: false,
                                    manifest: .null)
            }
            try? FileManager.default.removeItem(atPath: context.workDirectory)
            log.info("\(wrote) \(shown ?? dir)\(summary(manifest).map { " (\($0))" } ?? "")")
            return StageOutcome(stage: stage, key: key, directory: dir, built: true, complete: true, manifest: manifest)
        }
    }
}
