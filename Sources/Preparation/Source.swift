import Foundation
import Imaging
import Pipeline
import Threads

/// One split of the source, ready to process: labels and provenance per
/// sample, and a loader that decodes sample i.
struct SplitPlan: Sendable {
    let name: String
    let labels: [Int32]
    let sources: [String]
    let load: @Sendable (Int) throws -> Image

    var count: Int { labels.count }

    /// An evenly spaced subset of `limit` samples (0: all), so a cut-down run
    /// still covers every class of a class-sorted folder.
    func limited(to limit: Int) -> SplitPlan {
        guard limit > 0, limit < count else { return self }
        let idx = (0..<limit).map { $0 * count / limit }
        let load = self.load
        return SplitPlan(name: name, labels: idx.map { labels[$0] }, sources: idx.map { sources[$0] },
                         load: { try load(idx[$0]) })
    }
}

/// A data source found on disk: what its raw inputs are (for the digest)
/// and, once loaded, its splits.
protocol DataSource {
    /// Description for the manifest.
    var kind: String { get }
    /// Raw input files, relative to `root`, in a fixed order.
    var inputFiles: [String] { get }
    var root: String { get }
    /// Whether an unreadable input file is skipped (image folders) rather
    /// than fatal (IDX files).
    var skipsUnreadableFiles: Bool { get }
    /// Class names by label (empty when the source has none).
    func load(settings: PrepareInputs) throws -> (splits: [SplitPlan], classNames: [String])
}

enum SourceDiscovery {
    static func open(_ settings: PrepareInputs) throws -> DataSource {
        let path = settings.sourcePath
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw PipelineError("\(path): data source not found (data.root_path + data.image_folder)")
        }
        guard isDir.boolValue else { throw PipelineError("\(path): data source must be a folder") }
        switch settings.prepare.format {
        case .idx: return try IDXSource(root: path)
        case .folder: return try FolderSource(root: path, settings: settings)
        case .auto:
            return IDXSource.looksLikeIDX(path) ? try IDXSource(root: path) : try FolderSource(root: path, settings: settings)
        }
    }

    /// Combined digest of the raw inputs: their relative paths and contents.
    /// An unreadable file of a folder source counts as "unreadable" (it is
    /// reported and skipped when the images are decoded).
    static func digest(of source: DataSource, cache: DigestCache) throws -> String {
        let files = source.inputFiles
        let root = source.root
        let tolerant = source.skipsUnreadableFiles
        // A large folder takes minutes the first time (later runs read the digest cache).
        let progress = Pipeline.Progress("prepare: hashing \(root)", total: files.count, unit: "files", quietIfShort: true)
        let digests = try Parallel.map(files.count) { i -> String in
            defer { progress.advance(by: 1) }
            do { return try cache.digest(ofFile: "\(root)/\(files[i])") } catch {
                if tolerant { return "unreadable" }
                throw error
            }
        }
        progress.finish()
        cache.save()
        var text = ""
        for (f, d) in zip(files, digests) { text += "\(f)\t\(d)\n" }
        return Digest.sha256Hex(text)
    }
}
