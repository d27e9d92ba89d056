import XCTest
@testable import Imaging

final class TransformTests: XCTestCase {
    func testPatchLayoutMatchesConv2dWeightOrder() {
        // 2 channels would not occur in practice; 3 does. Pixel value encodes
        // (channel, y, x) so every byte's destination can be checked.
        let size = 8, patch = 4, c = 3
        var px = [UInt8](repeating: 0, count: size * size * c)
        for y in 0..<size { for x in 0..<size { for ch in 0..<c { px[(y * size + x) * c + ch] = UInt8(ch * 64 + y * 8 + x) } } }
        let img = Image(width: size, height: size, channels: c, pixels: px)
        var out = [UInt8](repeating: 0, count: 4 * c * patch * patch)
        out.withUnsafeMutableBufferPointer { Patchify.extract(img, patch: patch, into: $0.baseAddress!) }
        let dim = c * patch * patch
        for pr in 0..<2 { for pc in 0..<2 { for ch in 0..<c { for y in 0..<patch { for x in 0..<patch {
            let p = pr * 2 + pc  // raster order over the grid
            let got = out[p * dim + ch * patch * patch + y * patch + x]
            XCTAssertEqual(got, UInt8(ch * 64 + (pr * patch + y) * 8 + (pc * patch + x)))
        } } } } }
    }

    func testResizeIdentityAndAreaAverage() {
        let img = Image(width: 4, height: 4, channels: 1, pixels: (0..<16).map { UInt8($0 * 10) })
        XCTAssertEqual(Resize.shorterSideAndCenterCrop(img, to: 4), img)
        // 4 -> 2: each output is the mean of a 2x2 block.
        let half = Resize.shorterSideAndCenterCrop(img, to: 2)
        XCTAssertEqual(half.pixels, [25, 45, 105, 125])
        // 3 -> 2: fractional coverage (1 + 0.5 of the next pixel) / 1.5.
        let row = Image(width: 3, height: 3, channels: 1, pixels: [0, 30, 90, 0, 30, 90, 0, 30, 90])
        XCTAssertEqual(Resize.shorterSideAndCenterCrop(row, to: 2).pixels, [10, 70, 10, 70])
    }

    func testResizeKeepsConstantImagesConstantAndCropsTheCentre() {
        let flat = Image(width: 5, height: 3, channels: 3, pixels: [UInt8](repeating: 77, count: 45))
        for size in [1, 2, 3, 7, 11] {
            let r = Resize.shorterSideAndCenterCrop(flat, to: size)
            XCTAssertEqual(r.width, size); XCTAssertEqual(r.height, size)
            XCTAssertTrue(r.pixels.allSatisfy { $0 == 77 }, "size \(size)")
        }
        // A wide image: 2 rows x 6 columns, values by column; the centre 2x2
        // square is columns 2 and 3.
        let wide = Image(width: 6, height: 2, channels: 1, pixels: (0..<12).map { UInt8(($0 % 6) * 10) })
        XCTAssertEqual(Resize.shorterSideAndCenterCrop(wide, to: 2).pixels, [20, 30, 20, 30])
        // A tall image, upsampled: 2 wide, 4 tall -> 4x8 -> centre 4x4 rows 2..5.
        let tall = Image(width: 2, height: 4, channels: 1, pixels: [0, 0, 40, 40, 80, 80, 120, 120])
        let up = Resize.shorterSideAndCenterCrop(tall, to: 4)
        XCTAssertEqual(up.width, 4)
        // Bilinear rows at centres (oy+2+0.5)/2-0.5 = 0.75, 1.25, 1.75, 2.25 -> 30, 50, 70, 90.
        XCTAssertEqual(stride(from: 0, to: 16, by: 4).map { up.pixels[$0] }, [30, 50, 70, 90])
    }

    func testChannelConversionMatchesPILWeights() {
        let rgb = Image(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 10, 200, 30])
        let gray = Channels.convert(rgb, to: 1)
        // PIL convert("L"): (r*19595 + g*38470 + b*7471 + 0x8000) >> 16.
        XCTAssertEqual(gray.pixels, [76, 124])
        XCTAssertEqual(Channels.convert(gray, to: 3).pixels, [76, 76, 76, 124, 124, 124])
    }
}
