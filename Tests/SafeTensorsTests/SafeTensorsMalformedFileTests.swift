import Foundation
import XCTest
import SafeTensors

final class SafeTensorsMalformedFileTests: SafeTensorsTestCase {
    func assertRejected(_ path: String, _ problem: String, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile.read(path: path), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("\(path): "), message, line: line)
            XCTAssertTrue(message.contains(problem), message, line: line)
            XCTAssertFalse(message.contains("\n"), message, line: line)
        }
    }

    func tensor(_ name: String, _ dtype: String = "F32", shape: String, offsets: String) -> String {
        #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
    }

    func testMissingOrTruncatedFilesAreRejected() throws {
        assertRejected("\(folder)/missing.safetensors", "no such file")
        assertRejected(try file("short.safetensors", bytes: [1, 2, 3]), "too short for the header length")
    }

    func testHeaderLengthBeyondTheFileOrTheLimitIsRejected() throws {
        assertRejected(try file("beyond.safetensors", header: "{}", length: 99_999_999),
                       "header length 99999999 exceeds the file (10 bytes)")
        assertRejected(try file("huge.safetensors", header: "{}", length: 99_999_999_999),
                       "header length 99999999999 exceeds the limit of 100000000 bytes")
    }

    func testHeadersThatAreNotAJSONObjectAreRejected() throws {
        assertRejected(try file("text.safetensors", header: "not json"), "not a safetensors file (header is not JSON)")
        assertRejected(try file("array.safetensors", header: "[1, 2]"), "not a safetensors file (header is not a JSON object)")
        assertRejected(try file("utf16.safetensors", bytes: littleEndianBytes([UInt64(4)]) + [0xff, 0xfe, 0x7b, 0x00]),
                       "not a safetensors file (header is not UTF-8)")
    }

    func testEntriesThatAreNotTensorDescriptionsAreRejected() throws {
        let cases: [(header: String, problem: String)] = [
            (#"{"a":3}"#, "tensor 'a': entry is not a JSON object"),
            (#"{"a":{"shape":[1],"data_offsets":[0,4]}}"#, "tensor 'a': dtype is missing or not a string"),
            ("{\(tensor("a", "F33", shape: "[1]", offsets: "[0,4]"))}", "tensor 'a': unsupported dtype 'F33'"),
            (#"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#, "tensor 'a': shape is missing or not a list of integers"),
            ("{\(tensor("a", shape: #"["1"]"#, offsets: "[0,4]"))}", "tensor 'a': shape is missing or not a list of integers"),
            ("{\(tensor("a", shape: "[1.5]", offsets: "[0,4]"))}", "tensor 'a': shape is missing or not a list of integers"),
            ("{\(tensor("a", shape: "[-1,2]", offsets: "[0,4]"))}", "tensor 'a': shape [-1, 2] has a negative dimension"),
            (#"{"a":{"dtype":"F32","shape":[1]}}"#, "tensor 'a': data_offsets is missing or not a pair of integers"),
            ("{\(tensor("a", shape: "[1]", offsets: "[0,4,8]"))}", "tensor 'a': data_offsets is missing or not a pair of integers"),
            ("{\(tensor("a", shape: "[1]", offsets: "[4,0]"))}", "tensor 'a': data_offsets [4, 0] are not an ordered pair"),
            ("{\(tensor("a", shape: "[1]", offsets: "[-4,0]"))}", "tensor 'a': data_offsets [-4, 0] are not an ordered pair"),
            (#"{"__metadata__":3}"#, "__metadata__ is not a JSON object"),
            (#"{"__metadata__":{"k":1}}"#, "__metadata__ has a value that is not a string"),
        ]
        for (index, (header, problem)) in cases.enumerated() {
            assertRejected(try file("entry\(index).safetensors", header: header, data: [0, 0, 0, 0]), problem)
        }
    }

    func testOffsetsThatDoNotMatchTheShapeAreRejected() throws {
        let path = try file("size.safetensors", header: "{\(tensor("blocks.0.norm1.weight", shape: "[4]", offsets: "[0,12]"))}",
                            data: Array(repeating: 0, count: 12))
        XCTAssertThrowsError(try SafeTensorsFile.read(path: path)) {
            XCTAssertEqual("\($0)", "\(path): tensor 'blocks.0.norm1.weight': data_offsets [0, 12] do not match shape [4] of F32 (16 bytes)")
        }
    }

    func testTensorsThatDoNotTileTheDataSectionExactlyAreRejected() throws {
        let cases: [(tensors: [String], dataSize: Int, problem: String)] = [
            ([tensor("a", shape: "[4]", offsets: "[0,16]")], 8, "tensor 'a': data_offsets [0, 16] exceed the data section (8 bytes)"),
            ([tensor("a", shape: "[2]", offsets: "[0,8]"), tensor("b", shape: "[2]", offsets: "[4,12]")], 12,
             "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"),
            ([tensor("a", shape: "[4]", offsets: "[0,16]"), tensor("e", shape: "[0]", offsets: "[8,8]")], 16,
             "tensor 'e': data_offsets [8, 8] overlap tensor 'a' [0, 16]"),
            ([tensor("a", shape: "[1]", offsets: "[0,4]"), tensor("b", shape: "[1]", offsets: "[8,12]")], 12,
             "tensor 'b': data_offsets [8, 12] leave a gap of 4 bytes after tensor 'a'"),
            ([tensor("a", shape: "[1]", offsets: "[4,8]")], 8,
             "tensor 'a': data_offsets [4, 8] leave a gap of 4 bytes after the start of the data section"),
            ([tensor("a", shape: "[1]", offsets: "[0,4]")], 8, "4 bytes at the end of the data section belong to no tensor"),
            ([], 4, "4 bytes at the end of the data section belong to no tensor"),
        ]
        for (index, (tensors, dataSize, problem)) in cases.enumerated() {
            let header = "{\(tensors.joined(separator: ","))}"
            assertRejected(try file("tiling\(index).safetensors", header: header, data: Array(repeating: 0, count: dataSize)), problem)
        }
    }

    /// JSONSerialization keeps one of two equal keys; the other's bytes then belong to no tensor.
    func testDuplicateNamesAreRejected() throws {
        let header = "{\(tensor("a", shape: "[1]", offsets: "[0,4]")),\(tensor("a", shape: "[1]", offsets: "[4,8]"))}"
        assertRejected(try file("twice.safetensors", header: header, data: Array(repeating: 0, count: 8)), "4 bytes")
    }

    func testAnUnknownTensorNameIsAnErrorNamingTheFile() throws {
        let path = try file("one.safetensors", header: "{\(tensor("a", shape: "[1]", offsets: "[0,4]"))}", data: [0, 0, 0, 0])
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertThrowsError(try file.floats("foo")) { XCTAssertEqual("\($0)", "\(path): tensor 'foo' not found") }
        XCTAssertThrowsError(try file.shape("foo")) { XCTAssertEqual("\($0)", "\(path): tensor 'foo' not found") }
        XCTAssertThrowsError(try file.dtype("foo")) { XCTAssertEqual("\($0)", "\(path): tensor 'foo' not found") }
    }
}
