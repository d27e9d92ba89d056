import Foundation
import XCTest
@testable import Probing

final class ProbeMetricsTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "probe-metrics-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The layout of the metrics.json files already in users' stores (written
    /// before these types): a missing class is null, a k-NN result has no L2 keys.
    let earlierFile = """
    {"artifacts":{"prepare":"p","pretrain":"q"},"class_names":["a","b"],"eval_description":"val",
     "eval_images":3,"eval_split":"val","features":"mean","notes":[],"train_images":5,
     "subjects":{"pixels":{"dim":4,"extract_images_per_s":100.0,"extract_seconds":0.05,"feature_std":0.9,
       "features":"pixels","subject":"pixels","title":"raw pixels","results":[
       {"classifier":"knn","label_fraction":1.0,"train_images":5,"top1":0.5,"per_class_top1":[0.5,null],
        "confusion":[[1,1],[0,0]],"seconds":0.01}]}}}
    """

    func testAnEarlierMetricsFileReadsWithItsNullsAndMissingKeys() throws {
        let path = "\(dir)/metrics.json"
        try earlierFile.write(toFile: path, atomically: true, encoding: .utf8)
        let m = try RecordFile.read(ProbeMetrics.self, from: path)
        let r = try XCTUnwrap(m.result(.pixels, "knn", 1))
        XCTAssertEqual(r.perClassTop1, [0.5, nil])
        XCTAssertNil(r.l2)
        XCTAssertNil(m.subjects["pixels"]?.featureArtifacts)
        XCTAssertEqual(m.fractions, [], "fractions are those of the I-JEPA subject")
    }

    func testARecordReadsBackEqualNaNIncluded() throws {
        let path = "\(dir)/metrics.json"
        try earlierFile.write(toFile: path, atomically: true, encoding: .utf8)
        var m = try RecordFile.read(ProbeMetrics.self, from: path)
        m.subjects["pixels"]!.featureStd = .nan
        m.subjects["pixels"]!.results[0].l2Search = [.init(l2: 1e-4, holdoutTop1: 0.25)]
        let again = "\(dir)/again.json"
        try RecordFile.write(m, to: again)
        let back = try RecordFile.read(ProbeMetrics.self, from: again)
        XCTAssertTrue(back.subjects["pixels"]!.featureStd.isNaN)
        back.subjects["pixels"].map { XCTAssertEqual($0.results, m.subjects["pixels"]!.results) }
    }

    func testAFileMissingAKeyIsAnErrorNamingFileAndKey() throws {
        let path = "\(dir)/metrics.json"
        try earlierFile.replacingOccurrences(of: "\"eval_images\":3,", with: "").write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RecordFile.read(ProbeMetrics.self, from: path)) {
            XCTAssertTrue("\($0)".contains("\(path): not a ProbeMetrics record of this version (missing key eval_images)"), "\($0)")
        }
    }
}
