import XCTest
import Pretraining

final class TrainingLogRowTests: XCTestCase {
    let row = TrainingLogRow(epoch: 2, step: 17, loss: 0.123456789012345, lr: 1e-4 / 3, weightDecay: 0.04,
                             momentum: 0.996, contextTokens: 36, targetTokens: 27, msPerStep: 123.456,
                             imagesPerSecond: 987.66, targetFeatureStd: 0.5, gradNorm: .nan)

    func testARowReadsBackAsWrittenExceptTheRoundedTimings() throws {
        let back = try XCTUnwrap(TrainingLogRow(csv: Substring(row.csv)))
        XCTAssertEqual(back.loss, row.loss)
        XCTAssertEqual(back.lr, row.lr)
        XCTAssertTrue(back.gradNorm.isNaN)
        XCTAssertEqual(back.msPerStep, 123.46)
        XCTAssertEqual(back.imagesPerSecond, 987.7)
        XCTAssertEqual(TrainingLogRow.columns.count, row.csv.split(separator: ",").count)
    }

    func testOnlyATornLastLineIsDropped() throws {
        let text = TrainingLogRow.text(of: [row, row])
        XCTAssertEqual(try TrainingLogRow.parse(text, path: "log.csv").count, 2)
        XCTAssertEqual(try TrainingLogRow.parse(text + "2,18,0.1", path: "log.csv").count, 2, "torn last line")
        let damaged = text.replacingOccurrences(of: "\n2,17,", with: "\n2,x,")
        XCTAssertThrowsError(try TrainingLogRow.parse(damaged, path: "log.csv")) {
            XCTAssertTrue("\($0)".contains("log.csv: line 2"), "\($0)")
        }
    }

    func testALogOfAnotherVersionIsRefusedByName() {
        XCTAssertThrowsError(try TrainingLogRow.parse("epoch,step,loss\n0,0,1\n", path: "/x/log.csv")) {
            XCTAssertTrue("\($0)".contains("/x/log.csv: not a training log of this version"), "\($0)")
        }
    }
}
