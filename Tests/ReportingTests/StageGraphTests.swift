import Pipeline
import Reporting
import XCTest

final class StageGraphTests: XCTestCase {
    func testEveryStageComesAfterTheStagesItReadsAndNamesAreUnique() {
        var seen: [String] = []
        for stage in StageGraph.stages {
            for up in stage.upstream {
                XCTAssertTrue(seen.contains(up.name), "\(stage.name) reads \(up.name), which runs later or not at all")
            }
            XCTAssertFalse(seen.contains(stage.name), "\(stage.name) twice")
            seen.append(stage.name)
        }
        XCTAssertEqual(seen, ["prepare", "pretrain", "probe"])
    }
}
