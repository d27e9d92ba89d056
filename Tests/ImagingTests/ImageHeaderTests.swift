import Foundation
import XCTest
@testable import Imaging

/// Image sizes read from headers alone (Prepare's memory estimate) equal
/// what decoding gives, for every PNG colour type and for JPEGs, also with a
/// large metadata block before the frame header; other bytes give none.
final class ImageHeaderTests: XCTestCase {
    func testPNGHeaderSizeEqualsTheDecodedImageForEveryColourType() throws {
        for type in [PNGColorType.gray, .rgb, .palette, .grayAlpha, .rgba] {
            let w = 13, h = 7
            let samples = [UInt16](repeating: 1, count: w * h * type.samplesPerPixel)
            let palette: [UInt8] = type == .palette ? [0, 0, 0, 255, 255, 255] : []
            let png = try ImageCodecs.encodePNG(width: w, height: h, colorType: type, bitDepth: 8, samples: samples,
                                                palette: palette)
            let decoded = try ImageCodecs.decode(png)
            XCTAssertEqual(ImageHeader.size(png), ImageHeader.Size(width: decoded.width, height: decoded.height,
                                                                  channels: decoded.channels), "\(type)")
        }
    }

    func testJPEGHeaderSizeEqualsTheDecodedImageAlsoBehindALargeMetadataBlock() throws {
        for channels in [1, 3] {
            let image = Image(width: 37, height: 21, channels: channels,
                              pixels: (0..<(37 * 21 * channels)).map { UInt8($0 % 251) })
            let jpeg = try ImageCodecs.encodeJPEG(image)
            let want = ImageHeader.Size(width: 37, height: 21, channels: channels)
            XCTAssertEqual(ImageHeader.size(jpeg), want)
            // An APP1 (EXIF-like) segment of 20,000 bytes right after SOI.
            let app1: [UInt8] = [0xFF, 0xE1, UInt8(20_002 >> 8), UInt8(20_002 & 0xFF)] + [UInt8](repeating: 7, count: 20_000)
            let padded = Array(jpeg[0..<2]) + app1 + Array(jpeg[2...])
            XCTAssertEqual(try ImageCodecs.decode(padded).width, 37, "still a valid JPEG")
            XCTAssertNil(ImageHeader.size(Array(padded.prefix(4096))), "the frame header is past the first 4 KiB")
            let path = NSTemporaryDirectory() + "header-\(channels)-\(getpid()).jpg"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data(padded).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(ImageHeader.size(path: path), want, "read further than the first 4 KiB")
            XCTAssertNil(ImageHeader.size(path: path, limit: 8192), "not past the limit")
        }
    }

    func testOtherBytesHaveNoSize() {
        XCTAssertNil(ImageHeader.size([]))
        XCTAssertNil(ImageHeader.size(Array("GIF89a....".utf8)))
        XCTAssertNil(ImageHeader.size([0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), "scan data before any frame header")
        XCTAssertNil(ImageHeader.size(path: "/nonexistent/image.png"))
    }
}
