import Foundation
import XCTest
@testable import Pipeline

final class JSONTests: XCTestCase {
    func testCanonicalFormIsOrderIndependent() {
        let a = JSON.object(["b": .int(1), "a": .array([.double(0.5), .string("x\"y")])])
        let b = JSON.object(["a": .array([.double(0.5), .string("x\"y")]), "b": .int(1)])
        XCTAssertEqual(a.canonical, b.canonical)
        XCTAssertEqual(a.canonical, #"{"a":[0.5,"x\"y"],"b":1}"#)
        XCTAssertEqual(JSON.double(1).canonical, "1.0")
    }

    func testParseRoundTripKeepsIntsAndDoublesApart() throws {
        let v = JSON.object(["i": .int(3), "d": .double(3), "s": .string("é\n\t"), "n": .null, "b": .bool(true),
                             "a": .array([.int(-2), .double(1e-6)])])
        XCTAssertEqual(try JSON.parse(Data(v.pretty.utf8)), v)
        XCTAssertEqual(try JSON.parse(Data(v.canonical.utf8)), v)
        XCTAssertThrowsError(try JSON.parse(Data("{\"a\":1,}".utf8)))
    }
}
