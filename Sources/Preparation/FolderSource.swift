import Foundation
import Imaging
import Pipeline

/// A folder with one sub-folder per class (ImageFolder style), optionally
/// under `train/` and `val/`. Without a `val/` the split is made by a hash of
/// each file's relative path, so it never changes when files are added.
/// Hidden files and folders are ignored; every other file is an input, and
/// one that does not decode is reported and skipped (or fails the stage).
struct FolderSource: DataSource {
    let root: String
    let kind = "folder"
    let skipsUnreadableFiles = true
    let classNames: [String]
    /// (relative path, label, split)
    let files: [(path: String, label: Int32, split: String)]

    var inputFiles: [String] { files.map(\.path) }

    init(root: String, settings: PrepareInputs) throws {
        self.root = root
        let hasTrain = Self.isDir("\(root)/train")
        if !hasTrain, Self.isDir("\(root)/val") {
            throw PipelineError("\(root): has val/ but no train/; put the training classes under train/ (or rename val/ if it is a class)")
        }
        let trainRoot = hasTrain ? "train" : ""
        let valRoot: String? = hasTrain && Self.isDir("\(root)/val") ? "val" : nil
        // Files beside the class folders of train/ or val/ would be dropped
        // unseen: the flat ImageNet validation layout (images in one folder,
        // labels in a separate file) is refused, not skipped.
        for split in [hasTrain ? trainRoot : nil, valRoot].compactMap({ $0 }) {
            let loose = try Self.looseFiles(root, split)
            if let first = loose.first {
                throw PipelineError("\(root)/\(split): holds \(loose.count) file(s) directly (\(first)), not in class sub-folders; the flat layout with labels in a separate file (ImageNet's validation set) is not read: move each image into a folder named after its class")
            }
        }

        let classes = try Self.classFolders(root, trainRoot)
        guard !classes.isEmpty else {
            throw PipelineError("\(root)/\(trainRoot): no class sub-folders found")
        }
        classNames = classes
        var files: [(String, Int32, String)] = []
        let progress = Pipeline.Progress("prepare: listing \(root)", total: classes.count, unit: "class folders", quietIfShort: true)
        defer { progress.finish() }
        for (label, cls) in classes.enumerated() {
            defer { progress.advance(by: 1, note: "\(files.count) files") }
            let rel = trainRoot.isEmpty ? cls : "\(trainRoot)/\(cls)"
            let list = try Self.walk(root, rel)
            if list.isEmpty { throw PipelineError("\(root)/\(rel): empty class folder") }
            for f in list {
                let split = valRoot == nil && Self.hashFraction(f, seed: settings.prepare.splitSeed) < settings.prepare.valFraction
                    ? "val" : "train"
                files.append((f, Int32(label), split))
            }
        }
        if let valRoot {
            for cls in try Self.classFolders(root, valRoot) {
                guard let label = classes.firstIndex(of: cls) else {
                    throw PipelineError("\(root)/\(valRoot)/\(cls): class not present in \(root)/\(trainRoot)")
                }
                let list = try Self.walk(root, "\(valRoot)/\(cls)")
                if list.isEmpty { throw PipelineError("\(root)/\(valRoot)/\(cls): empty class folder") }
                files += list.map { ($0, Int32(label), "val") }
            }
        }
        self.files = files
    }

    static func isDir(_ p: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &d) && d.boolValue
    }

    static func classFolders(_ root: String, _ rel: String) throws -> [String] {
        let dir = rel.isEmpty ? root : "\(root)/\(rel)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw PipelineError("\(dir): cannot list folder")
        }
        return names.filter { !$0.hasPrefix(".") && isDir("\(dir)/\($0)") }.sorted()
    }

    /// Non-hidden entries of root/rel that are not folders, sorted.
    static func looseFiles(_ root: String, _ rel: String) throws -> [String] {
        let dir = "\(root)/\(rel)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw PipelineError("\(dir): cannot list folder")
        }
        return names.filter { !$0.hasPrefix(".") && !isDir("\(dir)/\($0)") }.sorted()
    }

    /// Non-hidden files under root/rel, as sorted relative paths, following
    /// symbolic links (a link loop is visited once). Entries that are not
    /// folders are all listed, even ones that cannot be read (a dangling link,
    /// a FIFO): they are reported and skipped when decoded, not ignored.
    static func walk(_ root: String, _ rel: String) throws -> [String] {
        var visited = Set<[UInt64]>()
        return try walk(root, rel, &visited)
    }

    private static func walk(_ root: String, _ rel: String, _ visited: inout Set<[UInt64]>) throws -> [String] {
        let dir = "\(root)/\(rel)"
        var st = stat()
        if stat(dir, &st) == 0, !visited.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted { return [] }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw PipelineError("\(dir): cannot list folder")
        }
        var out: [String] = []
        for n in names.sorted() where !n.hasPrefix(".") {
            let r = "\(rel)/\(n)"
            if isDir("\(root)/\(r)") { out += try walk(root, r, &visited) } else { out.append(r) }
        }
        return out
    }

    /// A number in [0, 1) fixed by the path and seed.
    static func hashFraction(_ path: String, seed: Int) -> Double {
        let hex = Digest.sha256Hex("\(seed):\(path)")
        let v = UInt64(hex.prefix(16), radix: 16)!
        return Double(v >> 11) / Double(1 << 53)
    }

    func load(settings: PrepareInputs) throws -> (splits: [SplitPlan], classNames: [String]) {
        let root = self.root
        var splits: [SplitPlan] = []
        for split in ["train", "val"] {
            let sel = files.filter { $0.split == split }
            if sel.isEmpty && split == "val" { continue }
            let paths = sel.map(\.path)
            splits.append(SplitPlan(name: split, labels: sel.map(\.label), sources: paths, load: { i in
                let full = "\(root)/\(paths[i])"
                var st = stat()
                guard stat(full, &st) == 0 else {
                    throw PipelineError("\(full): cannot read file: \(String(cString: strerror(errno)))")
                }
                guard (st.st_mode & S_IFMT) == S_IFREG else { throw PipelineError("\(full): not a regular file") }
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw PipelineError("\(full): cannot read file")
                }
                do { return try ImageCodecs.decode([UInt8](data)) } catch {
                    throw PipelineError("\(full): \(error)")
                }
            }))
        }
        return (splits, classNames)
    }
}
