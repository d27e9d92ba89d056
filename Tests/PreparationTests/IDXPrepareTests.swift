import Foundation
import Imaging
import Pipeline
import Shards
import XCTest
@testable import Preparation

/// End to end on the shipped smoke pipeline (Fashion-MNIST from Debian's
/// dataset-fashion-mnist package, cut to a few hundred images).
final class IDXPrepareTests: XCTestCase {
    static let fashion = "/usr/share/datasets/fashion-mnist"

    func testSmokePipelineMatchesIDXSourceAndRerunIsNoOp() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: Self.fashion),
                          "dataset-fashion-mnist is not installed (make deps installs it)")
        let s = Scratch()
        let cfg = try PipelineConfig.load(path: "\(Products.packageRoot)/pipelines/smoke.yaml")
        let out = try PrepareStage.run(cfg, store: s.store)
        XCTAssertTrue(out.built)
        let trainN = cfg.values["prepare.limit_train"]!.intValue!, valN = cfg.values["prepare.limit_val"]!.intValue!
        XCTAssertEqual(out.manifest["counts"]?["train"], .int(trainN))
        XCTAssertEqual(out.manifest["counts"]?["val"], .int(valN))
        XCTAssertEqual(out.manifest["counts"]?["skipped"], .int(0))

        let idx = [
            "train-images-idx3-ubyte.gz": try IDXFile(path: "\(Self.fashion)/train-images-idx3-ubyte.gz"),
            "t10k-images-idx3-ubyte.gz": try IDXFile(path: "\(Self.fashion)/t10k-images-idx3-ubyte.gz"),
        ]
        let idxLabels = [
            "train-images-idx3-ubyte.gz": try IDXFile(path: "\(Self.fashion)/train-labels-idx1-ubyte.gz").data,
            "t10k-images-idx3-ubyte.gz": try IDXFile(path: "\(Self.fashion)/t10k-labels-idx1-ubyte.gz").data,
        ]
        var seen = 0
        let files = try FileManager.default.contentsOfDirectory(atPath: out.directory).filter { $0.hasSuffix(".h5") }.sorted()
        XCTAssertGreaterThan(files.count, 2, "smoke shard_size should give several shards")
        for f in files {
            let r = try ShardReader(path: "\(out.directory)/\(f)")
            XCTAssertEqual(r.attributes.numPatches, 49)
            XCTAssertEqual(r.attributes.patchDim, 16)
            XCTAssertEqual(r.attributes.classNames.count, 10)
            XCTAssertEqual(r.attributes.mean.count, 1)
            XCTAssertEqual(r.attributes.mean[0], 0.286, accuracy: 0.02, "Fashion-MNIST train mean")
            XCTAssertEqual(r.attributes.std[0], 0.353, accuracy: 0.02, "Fashion-MNIST train std")
            let labels = try r.readLabels(), sources = try r.readSources()
            let patches = try r.readPatches(start: 0, count: r.count)
            // Sampled indices: every 17th sample of the shard.
            for i in stride(from: 0, to: r.count, by: 17) {
                let m = sources[i].wholeMatch(of: /(.+)\[(\d+)\]/)!
                let file = String(m.1), index = Int(m.2)!
                XCTAssertEqual(labels[i], Int32(idxLabels[file]![index]), sources[i])
                let img = idx[file]!.data[(index * 784)..<((index + 1) * 784)]
                for p in 0..<49 { for y in 0..<4 { for x in 0..<4 {
                    let pixel = img[img.startIndex + ((p / 7) * 4 + y) * 28 + (p % 7) * 4 + x]
                    XCTAssertEqual(patches[i * 784 + p * 16 + y * 4 + x], pixel)
                } } }
                seen += 1
            }
        }
        XCTAssertGreaterThan(seen, 30)

        let again = try PrepareStage.run(cfg, store: s.store)
        XCTAssertFalse(again.built, "second run must reuse the artifact")
        XCTAssertEqual(again.key, out.key)
    }

    func testCorruptIDXHeaderIsOneLineErrorAndNoArtifact() throws {
        let s = Scratch()
        s.write([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 8] + [UInt8](repeating: 1, count: 100),
                to: "idx/train-images-idx3-ubyte")
        s.write([0, 0, 8, 1, 0, 0, 0, 2, 0, 1], to: "idx/train-labels-idx1-ubyte")
        XCTAssertThrowsError(try PrepareStage.run(try s.config(source: "idx"), store: s.store)) { e in
            XCTAssertTrue("\(e)".contains("train-images-idx3-ubyte") && "\(e)".contains("truncated"), "\(e)")
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "\(s.artifacts)/prepare")) ?? []
        XCTAssertEqual(left, [])
    }
}
