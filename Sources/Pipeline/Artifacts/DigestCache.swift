import Foundation

/// Per-file content digests keyed by path, size, modification time, change
/// time and inode, so re-hashing a large image folder costs one stat per file
/// once it has been hashed. The change time (which no tool can set back)
/// catches a rewrite whose mtime was restored (`touch -r`, `cp -p`).
/// Stored as a tab-separated file; a damaged cache is ignored.
/// Sendable: `entries` and `dirty` are read and written only under `lock`; `path` is a `let`.
public final class DigestCache: @unchecked Sendable {
    private struct Stamp: Equatable { let size: Int64; let mtimeNs: Int64; let ctimeNs: Int64; let inode: UInt64 }
    private struct Entry { let stamp: Stamp; let digest: String }

    private let path: String?
    private var entries: [String: Entry] = [:]
    private var dirty = false
    private let lock = NSLock()

    /// `path` nil: an in-memory cache.
    public init(path: String?) {
        self.path = path
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", maxSplits: 5, omittingEmptySubsequences: false)
            guard f.count == 6, f[0].count == 64, let size = Int64(f[1]), let mt = Int64(f[2]), let ct = Int64(f[3]),
                  let ino = UInt64(f[4]) else { continue }
            entries[String(f[5])] = Entry(stamp: Stamp(size: size, mtimeNs: mt, ctimeNs: ct, inode: ino),
                                          digest: String(f[0]))
        }
    }

    /// SHA-256 of a regular file's contents, from the cache when its stamp matches.
    public func digest(ofFile path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw PipelineError("\(path): \(String(cString: strerror(errno)))")
        }
        // Reading a FIFO or device would block or never end.
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw PipelineError("\(path): not a regular file") }
        let stamp = Stamp(size: Int64(st.st_size),
                          mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                          ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                          inode: UInt64(st.st_ino))
        lock.lock()
        let hit = entries[path]
        lock.unlock()
        if let hit, hit.stamp == stamp { return hit.digest }
        let d = try Digest.sha256Hex(fileAt: path)
        lock.lock()
        entries[path] = Entry(stamp: stamp, digest: d)
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
            let t = e.stamp
            text += "\(e.digest)\t\(t.size)\t\(t.mtimeNs)\t\(t.ctimeNs)\t\(t.inode)\t\(p)\n"
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
