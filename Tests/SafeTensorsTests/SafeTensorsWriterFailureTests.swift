import Foundation
import XCTest
import SafeTensors

final class SafeTensorsWriterFailureTests: SafeTensorsTestCase {
    let tensor = SafeTensorsWriter.Tensor(name: "a", shape: [2], values: [1, 2])

    func testAMissingTargetFolderFailsAndLeavesNoTemporaryFile() throws {
        let path = "\(folder)/missing/x.safetensors"
        XCTAssertThrowsError(try SafeTensorsWriter.write([tensor], to: path)) {
            XCTAssertTrue("\($0)".hasPrefix("\(path): cannot create a temporary file"), "\($0)")
        }
        XCTAssertEqual(try contentsOfFolder(), [])
    }

    func testAFailedRenameRemovesTheTemporaryFile() throws {
        let path = "\(folder)/taken"
        try FileManager.default.createDirectory(atPath: "\(path)/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try SafeTensorsWriter.write([tensor], to: path)) {
            XCTAssertTrue("\($0)".hasPrefix("\(path): cannot move the written file into place"), "\($0)")
        }
        XCTAssertEqual(try contentsOfFolder(), ["taken"])
    }

    func testInvalidTensorsAreRejectedBeforeAnyFileIsCreated() throws {
        let path = "\(folder)/x.safetensors"
        let cases: [(tensors: [SafeTensorsWriter.Tensor], problem: String)] = [
            ([.init(name: "a", shape: [3], values: [1, 2])], "tensor 'a': shape [3] has 3 elements but 2 values were given"),
            ([.init(name: "a", shape: [-1, -2], values: [1, 2])], "tensor 'a': shape [-1, -2] has a negative dimension or is too large"),
            ([tensor, tensor], "tensor 'a': the name is given twice"),
            ([.init(name: "__metadata__", shape: [], values: [1])], "tensor '__metadata__': the name is reserved for metadata"),
        ]
        for (tensors, problem) in cases {
            XCTAssertThrowsError(try SafeTensorsWriter.write(tensors, to: path)) { XCTAssertEqual("\($0)", "\(path): \(problem)") }
        }
        XCTAssertEqual(try contentsOfFolder(), [])
    }
}
