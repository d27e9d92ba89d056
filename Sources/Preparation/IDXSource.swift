import Foundation
import Imaging
import Pipeline

/// MNIST-family IDX files: `<prefix>images-idx3-ubyte[.gz]` with
/// `<prefix>labels-idx1-ubyte[.gz]`; a prefix with "train" is the train
/// split, one with "t10k" or "test" the val split.
struct IDXSource: DataSource {
    let root: String
    let kind = "idx"
    let skipsUnreadableFiles = false
    let pairs: [(split: String, images: String, labels: String?)]

    var inputFiles: [String] { pairs.flatMap { [$0.images] + ($0.labels.map { [$0] } ?? []) } }

    static func imageFiles(in root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { $0.hasSuffix("images-idx3-ubyte") || $0.hasSuffix("images-idx3-ubyte.gz") }.sorted()
    }

    static func looksLikeIDX(_ root: String) -> Bool { !imageFiles(in: root).isEmpty }

    init(root: String) throws {
        self.root = root
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
        var pairs: [(String, String, String?)] = []
        for img in Self.imageFiles(in: root) {
            let lower = img.lowercased()
            let split: String
            if lower.contains("train") { split = "train" }
            else if lower.contains("t10k") || lower.contains("test") || lower.contains("val") { split = "val" }
            else { throw PipelineError("\(root)/\(img): cannot tell its split (name has no train, t10k, test or val)") }
            if pairs.contains(where: { $0.0 == split }) {
                throw PipelineError("\(root): more than one IDX image file for the \(split) split")
            }
            let base = img.replacingOccurrences(of: "images-idx3-ubyte", with: "labels-idx1-ubyte")
            let candidates = [base, base.hasSuffix(".gz") ? String(base.dropLast(3)) : base + ".gz"]
            pairs.append((split, img, candidates.first { names.contains($0) }))
        }
        guard pairs.contains(where: { $0.0 == "train" }) else {
            throw PipelineError("\(root): no train IDX image file (*train*images-idx3-ubyte[.gz])")
        }
        self.pairs = pairs.sorted { $0.0 == "train" && $1.0 != "train" }  // train first
    }

    func load(settings: PrepareInputs) throws -> (splits: [SplitPlan], classNames: [String]) {
        var splits: [SplitPlan] = []
        var maxLabel: Int32 = -1
        for (split, imgName, labelName) in pairs {
            let images = try IDXFile(path: "\(root)/\(imgName)")
            guard images.dims.count == 3 else {
                throw PipelineError("\(root)/\(imgName): expected 3 dimensions (count, rows, cols), found \(images.dims)")
            }
            let n = images.dims[0], rows = images.dims[1], cols = images.dims[2]
            var labels = [Int32](repeating: -1, count: n)
            if let labelName {
                let lf = try IDXFile(path: "\(root)/\(labelName)")
                guard lf.dims.count == 1, lf.dims[0] == n else {
                    throw PipelineError("\(root)/\(labelName): \(lf.dims) labels for \(n) images in \(imgName)")
                }
                labels = lf.data.map { Int32($0) }
                maxLabel = max(maxLabel, labels.max() ?? -1)
            }
            let pixels = images.data
            let size = rows * cols
            splits.append(SplitPlan(
                name: split, labels: labels, sources: (0..<n).map { "\(imgName)[\($0)]" },
                load: { i in Image(width: cols, height: rows, channels: 1, pixels: Array(pixels[i * size..<(i + 1) * size])) }))
        }
        var names = settings.prepare.classNames
        if names.isEmpty {
            names = (0..<Int(maxLabel + 1)).map(String.init)
        } else if names.count <= Int(maxLabel) {
            let labelFiles = pairs.compactMap(\.labels).map { "\(root)/\($0)" }.joined(separator: ", ")
            throw PipelineError("\(labelFiles): labels go up to \(maxLabel) but prepare.class_names has only \(names.count) names")
        }
        return (splits, names)
    }
}
