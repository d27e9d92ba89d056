import Foundation
import XCTest
import SafeTensors

final class SafeTensorsLayoutTests: SafeTensorsTestCase {
    func testWrittenBytesMatchTheSpecIncludingPaddingToEightBytes() throws {
        let path = "\(folder)/small.safetensors"
        try SafeTensorsWriter.write([
            .init(name: "a", shape: [2], values: [1, -2]),
            .init(name: "b", shape: [], values: [0.5]),
            .init(name: "e", shape: [0, 3], values: []),
        ], metadata: ["format": "pt"], to: path)

        // 195 bytes of JSON, padded with 5 spaces to 200 (0xc8).
        let json = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[],"data_offsets":[8,12]},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[12,12]}}"#
            + "     "
        let expected: [UInt8] = [0xc8, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8)
            + [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f]
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), expected)
    }

    func testReaderAcceptsTheHandBuiltPaddedFile() throws {
        let json = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"# + "  "
        let path = try file("hand.safetensors", header: json, data: [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0])
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.names, ["a"])
        XCTAssertEqual(try file.floats("a"), [1, -2])
    }

    func testNamesFollowDataOffsetsNotHeaderOrder() throws {
        let json = #"{"z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""m":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let path = try file("order.safetensors", header: json, data: littleEndianBytes([Float(1).bitPattern, Float(2).bitPattern]))
        XCTAssertEqual(try SafeTensorsFile.read(path: path).names, ["z", "a", "m"])
    }
}
