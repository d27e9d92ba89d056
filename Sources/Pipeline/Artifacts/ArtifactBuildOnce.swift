import Logging

extension ArtifactStore {
    /// The one "reuse or build" path of every stage: an artifact that
    /// verifies is reused; otherwise, holding the key's lock, it is checked
    /// again (another process may have built it while this one waited) and
    /// only then built. `force` skips both checks.
    ///
    /// `reused` names the reuse in the log ("up to date", "pixels: reusing");
    /// nil keeps it quiet. `shown` is the path the log line names.
    public func buildOnce<T>(stage: String, key: String, force: Bool, log: Logger,
                             reused: String? = "up to date", shown: String? = nil,
                             reuse: (_ manifest: JSON) throws -> T,
                             build: () throws -> T) throws -> T {
        let path = shown ?? directory(stage: stage, key: key)
        if !force, case .success(let manifest) = verify(stage: stage, key: key) {
            if let reused { log.info("\(reused): \(path)") }
            return try reuse(manifest)
        }
        return try exclusive(stage: stage, key: key, waiting: { log.info("\($0)") }) {
            if !force, case .success(let manifest) = verify(stage: stage, key: key) {
                if let reused { log.info("\(reused) (built meanwhile by another process): \(path)") }
                return try reuse(manifest)
            }
            return try build()
        }
    }
}
