import XCTest
@testable import Pretraining

final class GradientMonitorTests: XCTestCase {
    func testAJumpFarAboveTheRecentNormsIsFlaggedOncePerWindow() {
        var monitor = GradientMonitor()
        for s in 0..<30 { XCTAssertNil(monitor.observe(1.0 + 0.01 * Double(s % 5), step: s)) }
        XCTAssertNil(monitor.observe(5.0, step: 30), "5x is within the factor")
        let warning = monitor.observe(40.0, step: 31)
        XCTAssertNotNil(warning)
        XCTAssertTrue(warning!.contains("step 31") && warning!.contains("gradient norm 40.0"), warning!)
        XCTAssertNil(monitor.observe(40.0, step: 32), "at most one warning per window")
        XCTAssertNil(monitor.observe(.nan, step: 33), "a NaN norm is a fault of its own, not a warning")
    }
}
