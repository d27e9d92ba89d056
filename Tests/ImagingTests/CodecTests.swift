import XCTest
@testable import Imaging
import Random

/// PNG and JPEG codec tests. Every image is written here with the encoder, so
/// no fixture files are needed; sizes are non-square to catch width/height mixups.
final class CodecTests: XCTestCase {

    // MARK: - Helpers

    static func randomSamples(_ count: Int, below limit: Int, seed: UInt64) -> [UInt16] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt16(Int.random(in: 0..<limit, using: &rng)) }
    }

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// What a sample of `depth` bits must decode to in 8 bits.
    static func to8(_ v: UInt16, depth: Int) -> UInt8 {
        switch depth {
        case 16: return UInt8((UInt32(v) * 255 + 32767) / 65535)  // round(v * 255 / 65535)
        case 8: return UInt8(v)
        default: return UInt8(Int(v) * 255 / ((1 << depth) - 1))  // exact for 1, 2, 4 bits
        }
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
            }
        }
        return ~crc
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    /// Offsets of the PNG chunks: (offset of the length field, type, data length).
    static func chunks(_ png: [UInt8]) -> [(offset: Int, type: String, length: Int)] {
        var result: [(Int, String, Int)] = []
        var pos = 8
        while pos + 8 <= png.count {
            let length = png[pos..<pos + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[pos + 4..<pos + 8], as: UTF8.self)
            result.append((pos, type, length))
            pos += 12 + length
        }
        return result
    }

    /// Inserts a chunk (with a correct CRC) before the first IDAT chunk.
    static func insertChunk(_ png: [UInt8], type: String, data: [UInt8]) -> [UInt8] {
        let idat = chunks(png).first { $0.type == "IDAT" }!.offset
        var body = Array(type.utf8) + data
        let crc = crc32(body[...])
        body = bigEndian(UInt32(data.count)) + body + bigEndian(crc)
        var out = png
        out.insert(contentsOf: body, at: idat)
        return out
    }

    /// Rewrites the IHDR width and height, fixing the CRC.
    static func withIHDRSize(_ png: [UInt8], width: UInt32, height: UInt32) -> [UInt8] {
        var out = png
        out.replaceSubrange(16..<20, with: bigEndian(width))
        out.replaceSubrange(20..<24, with: bigEndian(height))
        let crc = crc32(out[12..<29])
        out.replaceSubrange(29..<33, with: bigEndian(crc))
        return out
    }

    /// Offset of the first JPEG marker 0xFF `code`.
    static func jpegMarker(_ jpeg: [UInt8], _ code: UInt8) -> Int? {
        guard jpeg.count >= 2 else { return nil }
        return (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == code }
    }

    func encode(_ w: Int, _ h: Int, _ type: PNGColorType, _ depth: Int, interlaced: Bool = false,
                _ samples: [UInt16], palette: [UInt8] = [],
                file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        let png = try ImageCodecs.encodePNG(width: w, height: h, colorType: type, bitDepth: depth,
                                            interlaced: interlaced, samples: samples, palette: palette)
        XCTAssertEqual(ImageCodecs.sniff(png), .png, file: file, line: line)
        XCTAssertEqual(png[28], interlaced ? 1 : 0, "IHDR interlace method", file: file, line: line)
        XCTAssertEqual(Int(png[24]), depth, "IHDR bit depth", file: file, line: line)
        XCTAssertEqual(Int32(png[25]), type.rawValue, "IHDR color type", file: file, line: line)
        return png
    }

    func assertDecodeFails(_ bytes: [UInt8], _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) {
        do {
            let image = try ImageCodecs.decode(bytes)
            XCTFail("\(what): decoded \(image.width)x\(image.height) instead of failing",
                    file: file, line: line)
        } catch {
            XCTAssertFalse(error.message.isEmpty, "\(what): empty error message", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        }
    }

    /// Gray (1 channel) or color (3 channels) expected output for samples with
    /// `spp` samples per pixel, keeping the first `keep` of each.
    static func expected(_ samples: [UInt16], spp: Int, keep: Int, depth: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(samples.count / spp * keep)
        for p in 0..<(samples.count / spp) {
            for c in 0..<keep { out.append(to8(samples[p * spp + c], depth: depth)) }
        }
        return out
    }

    func checkRoundTrip(_ w: Int, _ h: Int, _ type: PNGColorType, _ depth: Int, interlaced: Bool = false,
                        seed: UInt64, file: StaticString = #filePath, line: UInt = #line) throws {
        let spp = type.samplesPerPixel
        var samples = Self.randomSamples(w * h * spp, below: 1 << depth, seed: seed)
        // Make sure the extremes appear.
        samples[0] = 0
        samples[samples.count - 1] = UInt16((1 << depth) - 1)
        let png = try encode(w, h, type, depth, interlaced: interlaced, samples, file: file, line: line)
        let image = try ImageCodecs.decode(png)
        let keep = (type == .gray || type == .grayAlpha) ? 1 : 3
        XCTAssertEqual(image.width, w, file: file, line: line)
        XCTAssertEqual(image.height, h, file: file, line: line)
        XCTAssertEqual(image.channels, keep, file: file, line: line)
        XCTAssertEqual(image.pixels, Self.expected(samples, spp: spp, keep: keep, depth: depth),
                       "\(type) \(depth)-bit interlaced=\(interlaced)", file: file, line: line)
    }

    // MARK: - Sniffing and versions

    func testSniffRecognisesPNGAndJPEGByTheirSignatures() throws {
        let png = try encode(5, 3, .gray, 8, [UInt16](repeating: 7, count: 15))
        let jpeg = try ImageCodecs.encodeJPEG(Image(width: 5, height: 3, channels: 1,
                                                    pixels: [UInt8](repeating: 9, count: 15)))
        XCTAssertEqual(ImageCodecs.sniff(png), .png)
        XCTAssertEqual(ImageCodecs.sniff(jpeg), .jpeg)
        XCTAssertNil(ImageCodecs.sniff([]))
        XCTAssertNil(ImageCodecs.sniff(Array("hello".utf8)))
        XCTAssertNil(ImageCodecs.sniff(Array(png.prefix(7))))
        png.withUnsafeBytes { XCTAssertEqual(ImageCodecs.sniff($0), .png) }
    }

    func testLibraryVersionsAreReported() {
        XCTAssertTrue(ImageCodecs.pngVersion.contains("libpng"), ImageCodecs.pngVersion)
        XCTAssertTrue(ImageCodecs.pngVersion.contains("1."), ImageCodecs.pngVersion)
        XCTAssertTrue(ImageCodecs.jpegVersion.contains("jpeg"), ImageCodecs.jpegVersion)
    }

    // MARK: - PNG decode of every kind

    func testGrayLowBitDepthsExactValues() throws {
        // Hand-checked values: 1-bit 1 -> 255; 2-bit 1 -> 85, 3 -> 255; 4-bit 15 -> 255.
        let one = try ImageCodecs.decode(try encode(5, 3, .gray, 1, (0..<15).map { UInt16($0 % 2) }))
        XCTAssertEqual(one.pixels, (0..<15).map { $0 % 2 == 1 ? 255 : 0 })
        let two = try ImageCodecs.decode(try encode(5, 3, .gray, 2, (0..<15).map { UInt16($0 % 4) }))
        XCTAssertEqual(two.pixels, (0..<15).map { [0, 85, 170, 255][$0 % 4] })
        let four = try ImageCodecs.decode(try encode(5, 3, .gray, 4, (0..<15).map { UInt16($0) }))
        XCTAssertEqual(four.pixels, (0..<15).map { UInt8($0 * 17) })
        XCTAssertEqual(four.pixels.last, 238)
        let four15 = try ImageCodecs.decode(try encode(3, 2, .gray, 4, [15, 0, 15, 1, 14, 8]))
        XCTAssertEqual(four15.pixels, [255, 0, 255, 17, 238, 136])
        for image in [one, two, four] {
            XCTAssertEqual(image.width, 5)
            XCTAssertEqual(image.height, 3)
            XCTAssertEqual(image.channels, 1)
        }
    }

    func testGrayAllDepths() throws {
        // Widths that leave partial bytes at the end of packed rows.
        for depth in [1, 2, 4, 8, 16] {
            try checkRoundTrip(5, 3, .gray, depth, seed: UInt64(depth))
            try checkRoundTrip(13, 7, .gray, depth, seed: UInt64(100 + depth))
        }
    }

    func testSixteenBitScalingRoundsAccurately() throws {
        // Every value where rounding matters: v16 -> round(v16 * 255 / 65535).
        let values: [UInt16] = [0, 1, 128, 129, 256, 257, 385, 386, 32767, 32768, 32896, 65278, 65279, 65407,
                                65408, 65534, 65535]
        let w = values.count
        let png = try encode(w, 1, .gray, 16, values)
        let image = try ImageCodecs.decode(png)
        XCTAssertEqual(image.pixels, values.map { Self.to8($0, depth: 16) })
        XCTAssertEqual(image.pixels.first, 0)
        XCTAssertEqual(image.pixels.last, 255)
        XCTAssertEqual(Self.to8(128, depth: 16), 0)
        XCTAssertEqual(Self.to8(129, depth: 16), 1)
        XCTAssertEqual(Self.to8(32896, depth: 16), 128)
        // And a larger random sample, in color too.
        try checkRoundTrip(37, 19, .gray, 16, seed: 77)
        try checkRoundTrip(37, 19, .rgb, 16, seed: 78)
    }

    func testGrayAlphaRoundTripsAt8And16Bits() throws {
        try checkRoundTrip(5, 3, .grayAlpha, 8, seed: 11)
        try checkRoundTrip(5, 3, .grayAlpha, 16, seed: 12)
    }

    func testRGBRoundTripsAt8And16Bits() throws {
        try checkRoundTrip(5, 3, .rgb, 8, seed: 21)
        try checkRoundTrip(5, 3, .rgb, 16, seed: 22)
    }

    func testRGBARoundTripsAt8And16Bits() throws {
        try checkRoundTrip(5, 3, .rgba, 8, seed: 31)
        try checkRoundTrip(5, 3, .rgba, 16, seed: 32)
    }

    func testAlphaIsDroppedNotComposited() throws {
        // Fully transparent pixels keep their color (PIL's convert drops alpha).
        let samples: [UInt16] = [10, 20, 30, 0, 200, 100, 50, 128, 1, 2, 3, 255]
        let image = try ImageCodecs.decode(try encode(3, 1, .rgba, 8, samples))
        XCTAssertEqual(image.pixels, [10, 20, 30, 200, 100, 50, 1, 2, 3])
        let gray = try ImageCodecs.decode(try encode(1, 2, .grayAlpha, 8, [77, 0, 99, 255]))
        XCTAssertEqual(gray.pixels, [77, 99])
        XCTAssertEqual(gray.width, 1)
        XCTAssertEqual(gray.height, 2)
    }

    func checkPalette(depth: Int, trns: Bool, interlaced: Bool = false, w: Int = 5, h: Int = 3,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let count = 1 << depth
        var rng = SeededGenerator(seed: UInt64(depth * 10 + (trns ? 1 : 0)))
        let palette = (0..<(count * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var indices = Self.randomSamples(w * h, below: count, seed: UInt64(depth + 50))
        indices[0] = 0
        indices[indices.count - 1] = UInt16(count - 1)
        var png = try encode(w, h, .palette, depth, interlaced: interlaced, indices, palette: palette,
                             file: file, line: line)
        if trns {
            // Alphas for the first entries (fewer than the palette, as PNG allows).
            let alphas = (0..<max(1, count / 2)).map { UInt8(($0 * 37) % 256) }
            png = Self.insertChunk(png, type: "tRNS", data: alphas)
            XCTAssertTrue(Self.chunks(png).contains { $0.type == "tRNS" }, file: file, line: line)
        }
        let image = try ImageCodecs.decode(png)
        XCTAssertEqual(image.width, w, file: file, line: line)
        XCTAssertEqual(image.height, h, file: file, line: line)
        XCTAssertEqual(image.channels, 3, file: file, line: line)
        let expected = indices.flatMap { i in palette[Int(i) * 3..<Int(i) * 3 + 3] }
        XCTAssertEqual(image.pixels, expected, "palette \(depth)-bit tRNS=\(trns)", file: file, line: line)
    }

    func testPaletteImagesDecodeAtEveryDepthWithAndWithoutTransparency() throws {
        for depth in [1, 2, 4, 8] {
            try checkPalette(depth: depth, trns: false)
            try checkPalette(depth: depth, trns: true)
        }
    }

    func testPaletteSmallerThanDepthAllows() throws {
        // 3 colors in an 8-bit palette image.
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let indices: [UInt16] = [0, 1, 2, 2, 1, 0]
        let image = try ImageCodecs.decode(try encode(3, 2, .palette, 8, indices, palette: palette))
        XCTAssertEqual(image.pixels, [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 255, 0, 255, 0, 255, 0, 0])
    }

    func testGrayAndRGBWithTRNSKeepChannels() throws {
        let gray: [UInt16] = (0..<15).map { UInt16($0 * 16) }
        let grayPNG = Self.insertChunk(try encode(5, 3, .gray, 8, gray), type: "tRNS", data: [0, 32])
        let g = try ImageCodecs.decode(grayPNG)
        XCTAssertEqual(g.channels, 1)
        XCTAssertEqual(g.pixels, gray.map { UInt8($0) })

        let gray2: [UInt16] = (0..<15).map { UInt16($0 % 4) }
        let gray2PNG = Self.insertChunk(try encode(5, 3, .gray, 2, gray2), type: "tRNS", data: [0, 1])
        let g2 = try ImageCodecs.decode(gray2PNG)
        XCTAssertEqual(g2.channels, 1)
        XCTAssertEqual(g2.pixels, gray2.map { Self.to8($0, depth: 2) })

        let rgb = Self.randomSamples(45, below: 256, seed: 5)
        let rgbPNG = Self.insertChunk(try encode(5, 3, .rgb, 8, rgb), type: "tRNS",
                                      data: [0, UInt8(rgb[0]), 0, UInt8(rgb[1]), 0, UInt8(rgb[2])])
        let c = try ImageCodecs.decode(rgbPNG)
        XCTAssertEqual(c.channels, 3)
        XCTAssertEqual(c.pixels, rgb.map { UInt8($0) })
    }

    func testInterlacedPNGDecodesLikeNonInterlaced() throws {
        // Adam7 on sizes smaller and larger than the 8x8 pattern, and sub-byte depths.
        try checkRoundTrip(13, 7, .rgb, 8, interlaced: true, seed: 41)
        try checkRoundTrip(5, 3, .rgb, 8, interlaced: true, seed: 42)
        try checkRoundTrip(1, 1, .gray, 8, interlaced: true, seed: 43)
        try checkRoundTrip(17, 11, .gray, 1, interlaced: true, seed: 44)
        try checkRoundTrip(17, 11, .gray, 2, interlaced: true, seed: 45)
        try checkRoundTrip(9, 10, .gray, 16, interlaced: true, seed: 46)
        try checkRoundTrip(9, 10, .rgba, 16, interlaced: true, seed: 47)
        try checkRoundTrip(9, 10, .grayAlpha, 8, interlaced: true, seed: 48)
        try checkPalette(depth: 4, trns: true, interlaced: true, w: 11, h: 6)

        // Same pixels, interlaced or not.
        let samples = Self.randomSamples(13 * 7 * 3, below: 256, seed: 49)
        let a = try ImageCodecs.decode(try encode(13, 7, .rgb, 8, interlaced: false, samples))
        let b = try ImageCodecs.decode(try encode(13, 7, .rgb, 8, interlaced: true, samples))
        XCTAssertEqual(a, b)
    }

    func testEncodePNGConvenience() throws {
        let rgb = Image(width: 5, height: 3, channels: 3, pixels: Self.randomBytes(45, seed: 8))
        XCTAssertEqual(try ImageCodecs.decode(try ImageCodecs.encodePNG(rgb)), rgb)
        let gray = Image(width: 3, height: 5, channels: 1, pixels: Self.randomBytes(15, seed: 9))
        XCTAssertEqual(try ImageCodecs.decode(try ImageCodecs.encodePNG(gray)), gray)
        XCTAssertThrowsError(try ImageCodecs.encodePNG(Image(width: 2, height: 2, channels: 2,
                                                              pixels: [UInt8](repeating: 0, count: 8))))
    }

    func testDecodeFromRawBuffer() throws {
        let gray = Image(width: 5, height: 3, channels: 1, pixels: Self.randomBytes(15, seed: 10))
        let png = try ImageCodecs.encodePNG(gray)
        let decoded = try png.withUnsafeBytes { try ImageCodecs.decode($0) }
        XCTAssertEqual(decoded, gray)
    }

    // MARK: - PNG encoder argument checks

    func testEncodePNGRejectsBadArguments() {
        func expectThrow(_ body: () throws -> [UInt8], _ what: String, line: UInt = #line) {
            do {
                _ = try body()
                XCTFail("\(what): did not throw", line: line)
            } catch {
                XCTAssertFalse("\(error)".isEmpty, line: line)
            }
        }
        expectThrow({ try ImageCodecs.encodePNG(width: 2, height: 2, colorType: .gray, bitDepth: 2,
                                                samples: [0, 1, 2, 4]) }, "sample over depth")
        expectThrow({ try ImageCodecs.encodePNG(width: 2, height: 2, colorType: .gray, bitDepth: 8,
                                                samples: [0, 1, 2]) }, "wrong sample count")
        expectThrow({ try ImageCodecs.encodePNG(width: 2, height: 1, colorType: .rgb, bitDepth: 4,
                                                samples: [0, 1, 2, 3, 4, 5]) }, "depth not allowed")
        expectThrow({ try ImageCodecs.encodePNG(width: 2, height: 1, colorType: .palette, bitDepth: 8,
                                                samples: [0, 2], palette: [1, 2, 3, 4, 5, 6]) },
                    "index outside palette")
        expectThrow({ try ImageCodecs.encodePNG(width: 2, height: 1, colorType: .palette, bitDepth: 8,
                                                samples: [0, 0]) }, "missing palette")
        expectThrow({ try ImageCodecs.encodePNG(width: 2, height: 1, colorType: .palette, bitDepth: 1,
                                                samples: [0, 0], palette: [UInt8](repeating: 0, count: 9)) },
                    "palette longer than depth allows")
        expectThrow({ try ImageCodecs.encodePNG(width: 0, height: 1, colorType: .gray, bitDepth: 8,
                                                samples: []) }, "zero width")
    }

    // MARK: - JPEG

    static func smoothImage(_ w: Int, _ h: Int, channels: Int) -> Image {
        var pixels: [UInt8] = []
        for y in 0..<h {
            for x in 0..<w {
                let fx = Double(x) / Double(w - 1), fy = Double(y) / Double(h - 1)
                let values = [40 + 170 * fx, 30 + 190 * fy, 128 + 80 * (fx - fy)]
                for c in 0..<channels { pixels.append(UInt8(values[c].rounded())) }
            }
        }
        return Image(width: w, height: h, channels: channels, pixels: pixels)
    }

    static func meanAbsError(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count)
        let total = zip(a, b).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        return Double(total) / Double(a.count)
    }

    func testJPEGGrayRoundTrip() throws {
        let image = Self.smoothImage(37, 23, channels: 1)
        let jpeg = try ImageCodecs.encodeJPEG(image, quality: 100)
        XCTAssertEqual(ImageCodecs.sniff(jpeg), .jpeg)
        let decoded = try ImageCodecs.decode(jpeg)
        XCTAssertEqual(decoded.width, 37)
        XCTAssertEqual(decoded.height, 23)
        XCTAssertEqual(decoded.channels, 1)
        XCTAssertLessThan(Self.meanAbsError(decoded.pixels, image.pixels), 3)
    }

    func testJPEGRGBRoundTrip() throws {
        let image = Self.smoothImage(40, 24, channels: 3)
        for quality in [100, 90] {
            let jpeg = try ImageCodecs.encodeJPEG(image, quality: quality)
            let decoded = try ImageCodecs.decode(jpeg)
            XCTAssertEqual(decoded.width, 40)
            XCTAssertEqual(decoded.height, 24)
            XCTAssertEqual(decoded.channels, 3)
            XCTAssertLessThan(Self.meanAbsError(decoded.pixels, image.pixels), quality == 100 ? 3 : 6)
        }
        // Non-multiple-of-16 size (partial MCUs). Kept smooth: with the default
        // 4:2:0 chroma subsampling, steep color ramps over a few rows lose more.
        let odd = Self.smoothImage(21, 13, channels: 3)
        let decodedOdd = try ImageCodecs.decode(try ImageCodecs.encodeJPEG(odd, quality: 100))
        XCTAssertEqual(decodedOdd.width, 21)
        XCTAssertEqual(decodedOdd.height, 13)
        XCTAssertLessThan(Self.meanAbsError(decodedOdd.pixels, odd.pixels), 3)
    }

    func testJPEGEncodeRejectsBadArguments() {
        XCTAssertThrowsError(try ImageCodecs.encodeJPEG(Image(width: 2, height: 2, channels: 4,
                                                              pixels: [UInt8](repeating: 0, count: 16))))
        XCTAssertThrowsError(try ImageCodecs.encodeJPEG(Image(width: 2, height: 2, channels: 3,
                                                              pixels: [UInt8](repeating: 0, count: 11))))
        XCTAssertThrowsError(try ImageCodecs.encodeJPEG(Image(width: 0, height: 2, channels: 1, pixels: [])))
    }

    // MARK: - Corrupt input

    func testEmptyInputIsAnError() {
        do {
            _ = try ImageCodecs.decode([UInt8]())
            XCTFail("empty input decoded")
        } catch {
            XCTAssertEqual(error.message, "empty file")
        }
    }

    func testNonImageBytesAreAnError() {
        let text = Array("name,label\ncat.png,3\nThis is not an image.\n".utf8)
        do {
            _ = try ImageCodecs.decode(text)
            XCTFail("text decoded")
        } catch {
            XCTAssertEqual(error.message, "not a PNG or JPEG image")
        }
        for seed in 0..<8 as Range<UInt64> {
            var bytes = Self.randomBytes(300, seed: seed)
            if bytes[0] == 0x89 || bytes[0] == 0xFF { bytes[0] = 0 }
            assertDecodeFails(bytes, "random bytes \(seed)")
        }
    }

    func testRandomBytesAfterValidSignatures() {
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        for seed in 0..<16 as Range<UInt64> {
            let tail = Self.randomBytes(Int(seed) * 37 + 1, seed: 1000 + seed)
            assertDecodeFails(pngSignature + tail, "PNG signature + random \(seed)")
            assertDecodeFails([0xFF, 0xD8, 0xFF] + tail, "JPEG SOI + random \(seed)")
        }
        assertDecodeFails(pngSignature, "PNG signature only")
        assertDecodeFails([0xFF, 0xD8, 0xFF], "JPEG SOI only")
        assertDecodeFails([0xFF, 0xD8, 0xFF, 0xD9], "JPEG SOI + EOI")
    }

    func testTruncatedPNG() throws {
        let samples = Self.randomSamples(23 * 17 * 3, below: 256, seed: 60)
        let png = try encode(23, 17, .rgb, 8, samples)
        XCTAssertNoThrow(try ImageCodecs.decode(png))
        let idat = Self.chunks(png).first { $0.type == "IDAT" }!
        let iend = Self.chunks(png).first { $0.type == "IEND" }!
        var lengths = [1, 7, 8, 12, 20, 33, idat.offset, idat.offset + 8,
                       idat.offset + 8 + idat.length / 4, idat.offset + 8 + idat.length / 2,
                       idat.offset + 8 + idat.length - 1, idat.offset + 8 + idat.length + 2,
                       iend.offset, png.count - 1]
        // Every length through the IDAT data too, for a small image.
        lengths += Array(stride(from: idat.offset, to: idat.offset + 8 + idat.length, by: 7))
        for n in lengths {
            assertDecodeFails(Array(png.prefix(n)), "PNG truncated to \(n) of \(png.count)")
        }
    }

    func testTruncatedPNGAllLengths() throws {
        // Small images, every prefix: interlaced and sub-byte kinds too.
        let cases: [(PNGColorType, Int, Bool)] = [(.gray, 1, false), (.rgb, 16, true), (.palette, 4, true)]
        for (type, depth, interlaced) in cases {
            let samples = Self.randomSamples(5 * 3 * type.samplesPerPixel, below: 1 << depth, seed: 61)
            let palette = type == .palette ? Self.randomBytes(16 * 3, seed: 62) : []
            let png = try encode(5, 3, type, depth, interlaced: interlaced, samples, palette: palette)
            for n in 0..<png.count {
                assertDecodeFails(Array(png.prefix(n)), "\(type) \(depth)-bit truncated to \(n)")
            }
        }
    }

    func testCorruptIDATByte() throws {
        let samples = Self.randomSamples(23 * 17 * 3, below: 256, seed: 63)
        let png = try encode(23, 17, .rgb, 8, samples)
        let idat = Self.chunks(png).first { $0.type == "IDAT" }!
        for at in [idat.offset + 8, idat.offset + 8 + idat.length / 2, idat.offset + 8 + idat.length - 1] {
            var bad = png
            bad[at] ^= 0x01
            assertDecodeFails(bad, "flipped IDAT byte at \(at)")
        }
        // A broken CRC field itself.
        var badCRC = png
        badCRC[idat.offset + 8 + idat.length] ^= 0x80
        assertDecodeFails(badCRC, "flipped IDAT CRC byte")
    }

    func testHugePNGDimensionsRejected() throws {
        let png = try encode(5, 3, .gray, 8, [UInt16](repeating: 1, count: 15))
        let huge = Self.withIHDRSize(png, width: 100_000, height: 100_000)
        do {
            _ = try ImageCodecs.decode(huge)
            XCTFail("huge PNG decoded")
        } catch {
            XCTAssertTrue(error.message.contains("too large"), error.message)
        }
        // Sanity check of the helper: rewriting the same size keeps the file valid.
        XCTAssertNoThrow(try ImageCodecs.decode(Self.withIHDRSize(png, width: 5, height: 3)))
    }

    func testHugeJPEGDimensionsRejected() throws {
        var jpeg = try ImageCodecs.encodeJPEG(Self.smoothImage(16, 8, channels: 3))
        let sof = try XCTUnwrap(Self.jpegMarker(jpeg, 0xC0))
        // SOF0: marker(2) length(2) precision(1) height(2) width(2).
        jpeg.replaceSubrange(sof + 5..<sof + 9, with: [0xFD, 0xE8, 0xFD, 0xE8])  // 65000 x 65000
        do {
            _ = try ImageCodecs.decode(jpeg)
            XCTFail("huge JPEG decoded")
        } catch {
            XCTAssertTrue(error.message.contains("too large"), error.message)
        }
    }

    func testTruncatedJPEG() throws {
        var rng = SeededGenerator(seed: 64)
        // Noisy content so the scan is long.
        let pixels = (0..<(48 * 32 * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let jpeg = try ImageCodecs.encodeJPEG(Image(width: 48, height: 32, channels: 3, pixels: pixels),
                                              quality: 90)
        XCTAssertNoThrow(try ImageCodecs.decode(jpeg))
        let sos = try XCTUnwrap(Self.jpegMarker(jpeg, 0xDA))
        let sosLength = Int(jpeg[sos + 2]) << 8 | Int(jpeg[sos + 3])
        let scanStart = sos + 2 + sosLength
        XCTAssertLessThan(scanStart, jpeg.count - 100)

        // In the middle of the scan.
        let middle = scanStart + (jpeg.count - scanStart) / 2
        assertDecodeFails(Array(jpeg.prefix(middle)), "JPEG truncated mid-scan")
        do {
            _ = try ImageCodecs.decode(Array(jpeg.prefix(middle)))
        } catch {
            XCTAssertTrue(error.message.contains("Premature end"), error.message)
        }
        // Header only (everything before the scan), with and without an EOI.
        assertDecodeFails(Array(jpeg.prefix(sos)), "JPEG header only")
        assertDecodeFails(Array(jpeg.prefix(sos)) + [0xFF, 0xD9], "JPEG header + EOI")
        assertDecodeFails(Array(jpeg.prefix(scanStart)), "JPEG header + SOS, no data")
        // Missing only the EOI marker.
        assertDecodeFails(Array(jpeg.prefix(jpeg.count - 2)), "JPEG without EOI")
        // Many other lengths.
        for n in stride(from: 0, to: jpeg.count - 2, by: 13) {
            assertDecodeFails(Array(jpeg.prefix(n)), "JPEG truncated to \(n) of \(jpeg.count)")
        }
    }

    func testCorruptJPEGScanData() throws {
        let jpeg = try ImageCodecs.encodeJPEG(Self.smoothImage(48, 32, channels: 3), quality: 90)
        let sos = try XCTUnwrap(Self.jpegMarker(jpeg, 0xDA))
        let scanStart = sos + 2 + (Int(jpeg[sos + 2]) << 8 | Int(jpeg[sos + 3]))
        // A spurious marker inside the entropy-coded data makes libjpeg warn
        // ("Corrupt JPEG data"), which must be an error.
        var bad = jpeg
        let at = scanStart + (jpeg.count - scanStart) / 3
        bad.replaceSubrange(at..<at + 2, with: [0xFF, 0xD0 + 5])
        assertDecodeFails(bad, "JPEG with a bogus restart marker in the scan")
    }
}
