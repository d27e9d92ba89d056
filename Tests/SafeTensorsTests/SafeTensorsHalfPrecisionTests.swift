import Foundation
import XCTest
import SafeTensors

final class SafeTensorsHalfPrecisionTests: SafeTensorsTestCase {
    /// Expected values are written as literals, not derived from the bit patterns.
    let f16: [(bits: UInt16, value: Float)] = [
        (0x3c00, 1), (0xc100, -2.5), (0x7bff, 65504), (0x3555, 0.333251953125),
        (0x0001, 0x1p-24), (0x03ff, 1023 * 0x1p-24), (0x0400, 0x1p-14),
        (0x8000, -0.0), (0x7c00, .infinity), (0xfc00, -.infinity), (0x7e00, .nan),
    ]
    let bf16: [(bits: UInt16, value: Float)] = [
        (0x3f80, 1), (0xc020, -2.5), (0x4049, 3.140625), (0x7f7f, 0x1.fep127),
        (0x0001, 0x1p-133), (0x8000, -0.0), (0x7f80, .infinity), (0x7fc0, .nan),
    ]

    /// A space pads the header to an odd length, so every tensor is unaligned in memory.
    func halfPrecisionFile() throws -> String {
        let f16End = 2 * f16.count, bf16End = f16End + 2 * bf16.count
        let json = #"{"h":{"dtype":"F16","shape":[\#(f16.count)],"data_offsets":[0,\#(f16End)]},"#
            + #""b":{"dtype":"BF16","shape":[\#(bf16.count)],"data_offsets":[\#(f16End),\#(bf16End)]},"#
            + #""f":{"dtype":"F32","shape":[1],"data_offsets":[\#(bf16End),\#(bf16End + 4)]},"#
            + #""i":{"dtype":"I32","shape":[1],"data_offsets":[\#(bf16End + 4),\#(bf16End + 8)]}}"# + " "
        XCTAssertEqual(json.utf8.count % 2, 1)
        let data = littleEndianBytes(f16.map(\.bits)) + littleEndianBytes(bf16.map(\.bits))
            + littleEndianBytes([UInt32(0xbe20_0000), 7])
        return try file("half.safetensors", header: json, data: data)
    }

    func testF16DecodesExactlyIncludingSubnormalsInfinitiesAndNaN() throws {
        let file = try SafeTensorsFile.read(path: try halfPrecisionFile())
        XCTAssertEqual(try file.dtype("h"), .f16)
        XCTAssertEqual(try file.floats("h").map(\.bitPattern), f16.map(\.value.bitPattern))
    }

    func testBF16DecodesExactlyIncludingSubnormalsInfinitiesAndNaN() throws {
        let file = try SafeTensorsFile.read(path: try halfPrecisionFile())
        XCTAssertEqual(try file.dtype("b"), .bf16)
        XCTAssertEqual(try file.floats("b").map(\.bitPattern), bf16.map(\.value.bitPattern))
    }

    func testUnalignedF32Decodes() throws {
        XCTAssertEqual(try SafeTensorsFile.read(path: try halfPrecisionFile()).floats("f"), [-0.15625])
    }

    func testFloatsOfAnIntegerTensorIsAnErrorNamingFileAndDtype() throws {
        let path = try halfPrecisionFile()
        let file = try SafeTensorsFile.read(path: path)
        XCTAssertEqual(try file.dtype("i"), .i32)
        XCTAssertThrowsError(try file.floats("i")) {
            XCTAssertEqual("\($0)", "\(path): tensor 'i' has dtype I32; floats are read from F32, F16 and BF16 only")
        }
    }
}
