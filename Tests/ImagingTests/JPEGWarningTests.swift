import XCTest
@testable import Imaging

/// libjpeg warnings: harmless ones are tolerated, data-loss ones fail.
final class JPEGWarningTests: XCTestCase {
    func smoothJPEG() throws -> (Image, [UInt8]) {
        var px = [UInt8](repeating: 0, count: 24 * 16 * 3)
        for i in 0..<px.count { px[i] = UInt8((i / 3) % 24 * 10) }
        let img = Image(width: 24, height: 16, channels: 3, pixels: px)
        return (img, try ImageCodecs.encodeJPEG(img, quality: 95))
    }

    func testExtraneousBytesBeforeMarkerDecodeLikeTheCleanFile() throws {
        let (_, jpeg) = try smoothJPEG()
        let clean = try ImageCodecs.decode(jpeg)
        // Stray bytes before the start-of-scan marker: "Corrupt JPEG data: 3
        // extraneous bytes before marker 0xda", which PIL also accepts.
        let sos = (0..<jpeg.count - 1).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }!
        var dirty = jpeg
        dirty.insert(contentsOf: [0x01, 0x02, 0x03], at: sos)
        XCTAssertEqual(try ImageCodecs.decode(dirty), clean)
    }

    func testMissingScanDataStillFails() throws {
        let (_, jpeg) = try smoothJPEG()
        XCTAssertThrowsError(try ImageCodecs.decode(Array(jpeg.prefix(jpeg.count - 40)))) {
            XCTAssertTrue("\($0)".contains("Premature end"), "\($0)")
        }
    }
}
