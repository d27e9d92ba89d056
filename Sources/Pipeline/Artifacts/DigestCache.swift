import Foundation

/// Per-file content digests keyed by (path, size, modification time), so
/// re-hashing a large image folder costs one stat per file once it has been
/// hashed. Stored as a tab-separated file; a damaged cache is ignored.
public final class DigestCache: @unchecked Sendable {
    private struct Entry { let size: Int64; let mtimeNs: Int64; let digest: String }

    private let path: String?
    private var entries: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()

    /// `path` nil: an in-memory cache.
    public init(path: String?) {
        self.path = path
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count == 4, let size = Int64(f[1]), let mt = Int64(f[2]), f[0].count == 64 else { continue }
            entries[String(f[3])] = Entry(size: size, mtimeNs: mt, digest: String(f[0]))
        }
    }

    /// SHA-256 of a file's contents, from the cache when size and mtime match.
    public func digest(ofFile path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw PipelineError("\(path): \(String(cString: strerror(errno)))")
        }
        let size = Int64(st.st_size)
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        lock.lock()
        let hit = entries[path]
        lock.unlock()
        if let hit, hit.size == size, hit.mtimeNs == mtime { return hit.digest }
        let d = try Digest.sha256Hex(fileAt: path)
        lock.lock()
        entries[path] = Entry(size: size, mtimeNs: mtime, digest: d)
        dirty = true
        lock.unlock()
        return d
    }

    /// Writes the cache if it changed (atomically: temp file, then rename).
    public func save() {
        lock.lock()
        defer { lock.unlock() }
        guard dirty, let path else { return }
        var text = ""
        for (p, e) in entries where !p.contains("\n") {
            text += "\(e.digest)\t\(e.size)\t\(e.mtimeNs)\t\(p)\n"
        }
        let dir = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = path + ".tmp-\(getpid())"
        if FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8)), rename(tmp, path) == 0 {
            dirty = false
        } else {
            unlink(tmp)
        }
    }
}
