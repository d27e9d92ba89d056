import Foundation
import XCTest

/// A scratch folder per test, and files built byte by byte from the format's spec.
class SafeTensorsTestCase: XCTestCase {
    var folder = ""

    override func setUp() {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID())").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func contentsOfFolder() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    /// Writes `bytes` as they are and returns the path.
    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = "\(folder)/\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The 8-byte little-endian length (of `header` unless given), `header`, then `data`.
    func file(_ name: String, header: String, data: [UInt8] = [], length: UInt64? = nil) throws -> String {
        let json = Array(header.utf8)
        return try file(name, bytes: littleEndianBytes([length ?? UInt64(json.count)]) + json + data)
    }

    func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
    }
}
