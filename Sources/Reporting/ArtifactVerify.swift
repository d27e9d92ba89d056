import Foundation
import Pipeline

/// `make verify`: re-hash every file of every artifact a pipeline uses
/// against its manifest.
public enum ArtifactVerify {
    public enum Status: Sendable, Equatable {
        case ok(files: Int)
        case notBuilt
        case damaged(String)
    }

    /// (stage, key, status) for each artifact of `config`, report included
    /// when its inputs exist.
    public static func check(_ config: PipelineConfig, store: ArtifactStore) throws -> [(stage: String, key: String, status: Status)] {
        var keys = try ArtifactReach.keys(config, store: store)
        if let run = try? RunRecord(index: 0, label: "", assignment: [], config: config, store: store) {
            keys.append((ReportStage.name, try ReportStage.key(runs: [run], sweep: nil, config: config)))
        }
        return keys.map { stage, key in
            let dir = store.directory(stage: stage, key: key)
            guard FileManager.default.fileExists(atPath: dir) else { return (stage, key, .notBuilt) }
            switch store.verify(stage: stage, key: key, deep: true) {
            case .success(let m): return (stage, key, .ok(files: m["files"]?.arrayValue?.count ?? 0))
            case .failure(let e): return (stage, key, .damaged(e.description))
            }
        }
    }
}
