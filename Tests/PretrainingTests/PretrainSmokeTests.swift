import Foundation
import XCTest
@testable import Pipeline
@testable import Preparation
@testable import Pretraining

final class PretrainSmokeTests: XCTestCase {
    func testPlaceholder() {}
}
