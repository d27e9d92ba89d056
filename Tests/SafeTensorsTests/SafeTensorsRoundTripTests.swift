import Foundation
import XCTest
import SafeTensors

final class SafeTensorsRoundTripTests: SafeTensorsTestCase {
    func testWriteThenReadGivesIdenticalNamesShapesMetadataAndBits() throws {
        let special: [Float] = [.nan, Float(bitPattern: 0x7fc0_1234), -0.0, .leastNonzeroMagnitude, .infinity, -.greatestFiniteMagnitude]
        // More values than the writer's chunk, so it writes in several pieces.
        let long = (0..<((1 << 16) + 3)).map { Float($0) * 0.37 - 100 }
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t control \u{01} ünïcode ✓"]
        let path = "\(folder)/model.safetensors"
        try long.withUnsafeBufferPointer { buffer in
            try SafeTensorsWriter.write([
                .init(name: "blocks.0.norm1.weight", shape: [2, 3], values: special),
                .init(name: "empty", shape: [0, 4], values: []),
                .init(name: "scalar", shape: [], values: [3.25]),
                .init(name: "pos_embed", shape: [1, long.count], values: buffer),
            ], metadata: metadata, to: path)
        }

        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.names, ["blocks.0.norm1.weight", "empty", "scalar", "pos_embed"])
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(try file.shape("blocks.0.norm1.weight"), [2, 3])
        XCTAssertEqual(try file.shape("empty"), [0, 4])
        XCTAssertEqual(try file.shape("scalar"), [])
        XCTAssertEqual(try file.shape("pos_embed"), [1, long.count])
        for name in file.names { XCTAssertEqual(try file.dtype(name), .f32) }
        XCTAssertEqual(try file.floats("blocks.0.norm1.weight").map(\.bitPattern), special.map(\.bitPattern))
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(try file.floats("scalar"), [3.25])
        XCTAssertEqual(try file.floats("pos_embed").map(\.bitPattern), long.map(\.bitPattern))
    }

    func testWritingAgainReplacesTheFileWhole() throws {
        let path = "\(folder)/x.safetensors"
        try SafeTensorsWriter.write([.init(name: "a", shape: [3], values: [1, 2, 3])], metadata: ["v": "1"], to: path)
        try SafeTensorsWriter.write([.init(name: "b", shape: [1], values: [4])], to: path)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.names, ["b"])
        XCTAssertEqual(file.metadata, [:])
        XCTAssertEqual(try file.floats("b"), [4])
        XCTAssertEqual(try contentsOfFolder(), ["x.safetensors"])
    }

    func testAFileWithNoTensorsRoundTrips() throws {
        let path = "\(folder)/none.safetensors"
        try SafeTensorsWriter.write([], to: path)
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(file.names, [])
        XCTAssertEqual(file.metadata, [:])
    }
}
