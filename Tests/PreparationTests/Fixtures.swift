import Foundation
import Imaging
import Pipeline

/// Temporary folders, pipeline files and image sets the tests write themselves.
final class Scratch {
    let dir: String

    init() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("prep-\(UUID())").path
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var artifacts: String { "\(dir)/artifacts" }
    var store: ArtifactStore { ArtifactStore(root: artifacts) }

    func write(_ bytes: [UInt8], to rel: String) {
        let path = "\(dir)/\(rel)"
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A 4x4 patch grid, the smallest on which I-JEPA's masks can be sampled
    /// (min_keep 1, target blocks of 2x2), since a config is checked whole when it is loaded.
    func config(source: String, crop: Int = 8, patch: Int = 2, extra: String = "") throws -> PipelineConfig {
        try PipelineConfig.from(yaml: """
        data:
          root_path: \(dir)
          image_folder: \(source)
          crop_size: \(crop)
        mask:
          patch_size: \(patch)
          min_keep: 1
          pred_mask_scale: [0.25, 0.3]
        logging:
          progress_interval: 100
        """ + "\n" + extra)
    }

    /// A PNG of RGB noise (slow to compress, so a run over many is long enough to interrupt).
    static func noisePNG(side: Int) throws -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        let px = (0..<(side * side * 3)).map { _ in UInt8.random(in: 0...255, using: &g) }
        return try ImageCodecs.encodePNG(Image(width: side, height: side, channels: 3, pixels: px))
    }

    /// An 8x8 RGB image whose pixels encode (seed, x, y).
    static func image(seed: Int, size: Int = 8) -> Image {
        var px = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size { for x in 0..<size {
            px[(y * size + x) * 3] = UInt8(truncatingIfNeeded: seed * 40 + x)
            px[(y * size + x) * 3 + 1] = UInt8(truncatingIfNeeded: y * 20)
            px[(y * size + x) * 3 + 2] = UInt8(truncatingIfNeeded: 255 - seed)
        } }
        return Image(width: size, height: size, channels: 3, pixels: px)
    }
}

/// Locates built executables (swift test builds them next to the tests).
enum Products {
    static var binDir: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
            .components(separatedBy: "/").prefix { !$0.hasSuffix(".xctest") }.joined(separator: "/")
    }

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func executable(_ name: String) -> String? {
        for dir in [binDir, "\(packageRoot)/.build/debug"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }
}
