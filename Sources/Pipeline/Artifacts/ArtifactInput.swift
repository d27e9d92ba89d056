import Foundation

extension ArtifactStore {
    /// The manifest of an upstream artifact a stage is about to read,
    /// re-hashed (not just sized) so a file edited in place is caught before
    /// use. Missing or damaged: one line saying what to run.
    public func requireInput(stage: String, key: String, makeTarget: String) throws -> JSON {
        let dir = directory(stage: stage, key: key)
        switch verify(stage: stage, key: key, deep: true) {
        case .success(let m): return m
        case .failure(let e):
            if FileManager.default.fileExists(atPath: dir) {
                throw PipelineError("\(e.description); remove \(dir) and run make again to rebuild it")
            }
            throw PipelineError("\(dir): \(stage) artifact missing; run make \(makeTarget) first")
        }
    }
}
