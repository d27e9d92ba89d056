import CZlib
import Foundation
import XCTest
@testable import Imaging

final class IDXTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static func idxBytes(dims: [Int], data: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 0x08, UInt8(dims.count)]
        for d in dims { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return b + data
    }

    static func writeGzip(_ bytes: [UInt8], to path: String) {
        let gz = gzopen(path, "wb")!
        _ = bytes.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) }
        gzclose(gz)
    }

    func testPlainAndGzipFilesRead() throws {
        let data = (0..<24).map { UInt8($0) }
        let bytes = Self.idxBytes(dims: [2, 3, 4], data: data)
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/a-idx3-ubyte"))
        Self.writeGzip(bytes, to: "\(dir)/a-idx3-ubyte.gz")
        for name in ["a-idx3-ubyte", "a-idx3-ubyte.gz"] {
            let f = try IDXFile(path: "\(dir)/\(name)")
            XCTAssertEqual(f.dims, [2, 3, 4])
            XCTAssertEqual(f.data, data)
        }
    }

    func testCorruptFilesAreClearErrors() throws {
        func expectError(_ bytes: [UInt8], gzip: Bool = false, _ part: String, line: UInt = #line) throws {
            let path = "\(dir)/bad-\(line)" + (gzip ? ".gz" : "")
            if gzip { Self.writeGzip(bytes, to: path) } else { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
            XCTAssertThrowsError(try IDXFile(path: path), line: line) { e in
                XCTAssertTrue("\(e)".contains(path), "\(e)", line: line)
                XCTAssertTrue("\(e)".contains(part), "\(e)", line: line)
            }
        }
        try expectError([1, 2, 3, 4, 5, 6, 7, 8], "not an IDX file")
        try expectError([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "element type")
        try expectError([0, 0, 8, 9], "dimensions")
        try expectError(Self.idxBytes(dims: [2, 3, 4], data: [UInt8](repeating: 0, count: 20)), "truncated")
        try expectError(Self.idxBytes(dims: [1, 2], data: [0, 0, 0]), "beyond")
        try expectError([0, 0], "too short")
        // A gzip stream cut in the middle.
        let good = "\(dir)/good.gz"
        Self.writeGzip(Self.idxBytes(dims: [100, 28, 28], data: (0..<78400).map { UInt8(truncatingIfNeeded: $0 &* 7919) }), to: good)
        let whole = try Data(contentsOf: URL(fileURLWithPath: good))
        let cut = "\(dir)/cut.gz"
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: cut))
        XCTAssertThrowsError(try IDXFile(path: cut)) { XCTAssertTrue("\($0)".contains(cut), "\($0)") }
        XCTAssertThrowsError(try IDXFile(path: "\(dir)/missing")) { XCTAssertTrue("\($0)".contains("missing")) }
    }
}
