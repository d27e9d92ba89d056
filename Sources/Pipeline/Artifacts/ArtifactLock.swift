import Foundation

extension ArtifactStore {
    /// Runs `body` holding an exclusive lock on one artifact key, so two
    /// processes that need the same artifact (two sweep variants sharing
    /// prepare) do the work once: the second waits, then finds the artifact
    /// up to date. The lock is flock(2) on `.locks/<stage>-<key>` under the
    /// store: the kernel drops it when its holder dies, so a killed run
    /// never leaves a stale lock behind. (The files stay: unlinking a lock
    /// file races with a process that has just opened it.)
    public func exclusive<T>(stage: String, key: String, waiting: (String) -> Void = { _ in },
                             _ body: () throws -> T) throws -> T {
        let dir = "\(root)/.locks"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw PipelineError("\(dir): cannot create directory: \(error.localizedDescription)")
        }
        let path = "\(dir)/\(stage)-\(key)"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError("\(path): cannot open lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            waiting("waiting for another process building \(stage)/\(key)")
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else { throw PipelineError("\(path): cannot lock: \(String(cString: strerror(errno)))") }
            }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
