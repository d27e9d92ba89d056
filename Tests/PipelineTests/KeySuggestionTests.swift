import XCTest
@testable import Pipeline

final class KeySuggestionTests: XCTestCase {
    func testTypoGetsTheClosestKeyAndNonsenseGetsNone() throws {
        XCTAssertEqual(KeySuggestion.distance("kitten", "sitting"), 3)
        XCTAssertEqual(KeySuggestion.distance("", "abc"), 3)
        XCTAssertThrowsError(try PipelineConfig.from(yaml: "data:\n  root_path: /x\n  image_folder: y\nprepare:\n  shard_sise: 3\n")) {
            XCTAssertTrue("\($0)".contains("did you mean 'prepare.shard_size'?"), "\($0)")
        }
        // A key from another section is found too.
        XCTAssertEqual(KeySuggestion.closest(to: "optimization.warmpu", among: PipelineSettings.fields.map(\.path)), "optimization.warmup")
        XCTAssertNil(KeySuggestion.closest(to: "probe.completely_different", among: PipelineSettings.fields.map(\.path)))
    }
}
