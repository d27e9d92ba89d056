import Foundation
import Threads

/// What a stage body reports besides the files it wrote.
public struct StageResult: Sendable {
    public var counts: [String: Int]
    public var details: JSON
    public var timings: [String: Double]
    public var tools: [String: String]

    public init(counts: [String: Int] = [:], details: JSON = .object([:]),
                timings: [String: Double] = [:], tools: [String: String] = [:]) {
        self.counts = counts
        self.details = details
        self.timings = timings
        self.tools = tools
    }
}

/// `artifacts/<stage>/<key>/`: each artifact is built in a temporary
/// directory and renamed into place only when complete, with a
/// `manifest.json` listing every file and its SHA-256. A directory under a
/// key name therefore always holds a complete artifact.
public struct ArtifactStore: Sendable {
    public let root: String
    public static let manifestName = "manifest.json"

    public init(root: String) {
        self.root = root
        // Arm the SIGINT/SIGTERM handling now, long before any staging
        // directory exists: libdispatch registers a signal source
        // asynchronously, and a signal that lands after SIG_IGN but before
        // the registration is lost (seen: Ctrl-C right after staging began
        // was ignored and the artifact published).
        StagingCleanup.shared.arm()
    }

    public func directory(stage: String, key: String) -> String { "\(root)/\(stage)/\(key)" }

    /// The digest cache shared by all stages of this store.
    public func digestCache() -> DigestCache { DigestCache(path: "\(root)/.cache/file-digests.tsv") }

    /// The artifact's manifest if it exists and verifies; `deep` re-hashes
    /// every file, otherwise sizes are compared.
    public func verify(stage: String, key: String, deep: Bool = false) -> Result<JSON, PipelineError> {
        let dir = directory(stage: stage, key: key)
        let mpath = "\(dir)/\(Self.manifestName)"
        guard let data = FileManager.default.contents(atPath: mpath) else {
            return .failure(PipelineError("\(mpath): missing"))
        }
        guard let m = try? JSON.parse(data), m["key"]?.stringValue == key, m["stage"]?.stringValue == stage,
              let files = m["files"]?.arrayValue
        else { return .failure(PipelineError("\(mpath): not a manifest of \(stage)/\(key)")) }
        for f in files {
            guard let rel = f["path"]?.stringValue, let bytes = f["bytes"]?.intValue,
                  let sha = f["sha256"]?.stringValue else {
                return .failure(PipelineError("\(mpath): malformed file entry"))
            }
            let path = "\(dir)/\(rel)"
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
                return .failure(PipelineError("\(path): listed in the manifest but missing"))
            }
            if (attrs[.size] as? NSNumber)?.intValue != bytes {
                return .failure(PipelineError("\(path): size differs from the manifest"))
            }
            if deep, (try? Digest.sha256Hex(fileAt: path)) != sha {
                return .failure(PipelineError("\(path): SHA-256 differs from the manifest"))
            }
        }
        return .success(m)
    }

    /// Runs `body` in a fresh temporary directory and publishes its files as
    /// the artifact of `material`. On any error (or SIGINT/SIGTERM) the
    /// temporary directory is removed and nothing is published.
    @discardableResult
    public func build(_ material: ArtifactKeyMaterial, started: Date = Date(),
                      body: (_ tmpDir: String) throws -> StageResult) throws -> JSON {
        let key = material.key
        let stageDir = "\(root)/\(material.stage)"
        try createDirectory(stageDir)
        removeStaleStaging(in: stageDir, key: key)
        let tmp = "\(stageDir)/.tmp-\(key)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try createDirectory(tmp)
        StagingCleanup.shared.register(tmp)
        defer { StagingCleanup.shared.unregister(tmp) }
        do {
            let result = try body(tmp)
            let manifest = try writeManifest(in: tmp, material: material, result: result, started: started)
            try StagingCleanup.shared.publishing(tmp) {
                try publish(tmp, as: directory(stage: material.stage, key: key), stage: material.stage, key: key)
            }
            return manifest
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
    }

    private func writeManifest(in dir: String, material: ArtifactKeyMaterial, result: StageResult,
                               started: Date) throws -> JSON {
        let rels = try FileManager.default.subpathsOfDirectory(atPath: dir).sorted().filter { rel in
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: "\(dir)/\(rel)", isDirectory: &isDir)
            return !isDir.boolValue
        }
        // Shards are large: hash them on all cores.
        let files = try Parallel.map(rels.count) { i -> JSON in
            let path = "\(dir)/\(rels[i])"
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            return .object(["path": .string(rels[i]), "bytes": .int(size),
                            "sha256": .string(try Digest.sha256Hex(fileAt: path))])
        }
        var timings = result.timings.mapValues { JSON.double($0) }
        timings["total_s"] = .double(Date().timeIntervalSince(started))
        let manifest = JSON.object([
            "manifest_version": .int(1),
            "stage": .string(material.stage),
            "key": .string(material.key),
            "key_material": material.json,
            "files": .array(files),
            "counts": .object(result.counts.mapValues { .int($0) }),
            "details": result.details,
            "timings": .object(timings),
            "created_utc": .string(ISO8601DateFormatter().string(from: Date())),
            "provenance": Provenance.current(tools: result.tools),
        ])
        let path = "\(dir)/\(Self.manifestName)"
        guard FileManager.default.createFile(atPath: path, contents: Data(manifest.pretty.utf8)) else {
            throw PipelineError("\(path): cannot write manifest")
        }
        return manifest
    }

    private func publish(_ tmp: String, as final: String, stage: String, key: String) throws {
        if rename(tmp, final) == 0 { return }
        let err = errno
        guard err == ENOTEMPTY || err == EEXIST else {
            throw PipelineError("\(final): cannot publish artifact: \(String(cString: strerror(err)))")
        }
        // An artifact is already there (--force, or a concurrent run of the
        // same key): move it aside, then publish ours.
        let trash = "\(root)/\(stage)/.trash-\(key)-\(getpid())"
        guard rename(final, trash) == 0, rename(tmp, final) == 0 else {
            throw PipelineError("\(final): cannot replace artifact: \(String(cString: strerror(errno)))")
        }
        try? FileManager.default.removeItem(atPath: trash)
    }

    /// Leftovers of runs that were killed (their process is gone).
    private func removeStaleStaging(in stageDir: String, key: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: stageDir) else { return }
        for n in names where n.hasPrefix(".tmp-\(key)-") || n.hasPrefix(".trash-\(key)-") {
            let parts = n.split(separator: "-")
            if parts.count >= 3, let pid = Int32(parts[2]), pid != getpid(), kill(pid, 0) == 0 { continue }
            try? FileManager.default.removeItem(atPath: "\(stageDir)/\(n)")
        }
    }

    private func createDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw PipelineError("\(path): cannot create directory: \(error.localizedDescription)")
        }
    }
}
