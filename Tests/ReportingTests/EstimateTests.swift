import XCTest
@testable import Reporting

/// The statistics behind every interval in a report, against values
/// computed by hand and from Student's t tables.
final class EstimateTests: XCTestCase {
    func testStudentTQuantilesMatchTheTables() {
        // t(0.975, df) from standard tables.
        for (df, t) in [(1.0, 12.706204736), (2, 4.302652730), (4, 2.776445105), (9, 2.262157163), (29, 2.045229642),
                        (1000, 1.962339081)] {
            XCTAssertEqual(StudentT.quantile(0.975, df: df), t, accuracy: 1e-6, "df \(df)")
        }
        XCTAssertEqual(StudentT.quantile(0.95, df: 4), 2.131846786, accuracy: 1e-6)
        XCTAssertEqual(StudentT.cdf(0, df: 3), 0.5, accuracy: 1e-15)
        XCTAssertEqual(StudentT.cdf(-1.5, df: 3) + StudentT.cdf(1.5, df: 3), 1, accuracy: 1e-12)
        // df = 1 is the Cauchy distribution: P(T <= 1) = 3/4.
        XCTAssertEqual(StudentT.cdf(1, df: 1), 0.75, accuracy: 1e-12)
    }

    func testMeanSampleSDAndInterval() {
        let e = Estimate([0.80, 0.82, 0.84])
        XCTAssertEqual(e.n, 3)
        XCTAssertEqual(e.mean, 0.82, accuracy: 1e-12)
        XCTAssertEqual(e.sd, 0.02, accuracy: 1e-12, "divides by n - 1")
        // 4.302652730 * 0.02 / sqrt(3)
        XCTAssertEqual(e.halfWidth, 0.049682751, accuracy: 1e-8)
        XCTAssertEqual(e.low, 0.82 - 0.049682751, accuracy: 1e-8)
        XCTAssertTrue(e.excludesZero)
        XCTAssertFalse(Estimate([-0.01, 0.02, 0.00]).excludesZero)
    }

    func testOneReplicateHasNoInterval() {
        let one = Estimate([0.8])
        XCTAssertEqual(one.mean, 0.8)
        XCTAssertTrue(one.sd.isNaN && one.halfWidth.isNaN)
        XCTAssertFalse(one.hasInterval)
        XCTAssertFalse(one.excludesZero, "no interval, no claim")
        XCTAssertTrue(Estimate([]).mean.isNaN)
        XCTAssertEqual(Estimate([0.8, .nan, 0.9]).n, 2, "a probe that did not run is left out")
    }

    func testPairedDifferenceCancelsWhatTheSeedsShare() {
        // Seed 1 is lower for both variants; the differences are steady.
        let a = [0: 0.83, 1: 0.81, 2: 0.82], b = [0: 0.82, 1: 0.80, 2: 0.815, 3: 0.9]
        let d = Estimate.pairedDifference(a, b)
        XCTAssertEqual(d.n, 3, "seed 3 has no partner")
        XCTAssertEqual(d.mean, 0.025 / 3, accuracy: 1e-12)
        // differences 0.01, 0.01, 0.005: sd sqrt(((1/600)^2 * 2 + (1/300)^2) / 2)
        let sd = ((2 * pow(1.0 / 600, 2) + pow(1.0 / 300, 2)) / 2).squareRoot()
        XCTAssertEqual(d.sd, sd, accuracy: 1e-12)
        XCTAssertEqual(d.halfWidth, 4.302652730 * sd / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertTrue(d.excludesZero, "paired, the gain is resolved")
        // Unpaired, the seed-to-seed spread of each swamps it.
        let unpaired = Estimate([0.83, 0.81, 0.82]).mean - Estimate([0.82, 0.80, 0.815]).mean
        XCTAssertLessThan(unpaired, Estimate([0.83, 0.81, 0.82]).halfWidth)
    }
}
