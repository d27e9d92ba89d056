import Foundation

/// An image file's size as its header states it (PNG's IHDR, JPEG's start
/// of frame), read without decoding: what Prepare's memory estimate needs
/// before it decodes anything. Channels are those the decoder gives (1 gray,
/// 3 colour: alpha dropped, palettes expanded).
public enum ImageHeader {
    public struct Size: Sendable, Equatable {
        public let width: Int, height: Int, channels: Int
        public var decodedBytes: Int { width * height * channels }
    }

    /// The size from a file's first bytes, nil when they do not say it (not
    /// PNG or JPEG, or a JPEG frame header further in than `bytes`).
    public static func size(_ bytes: [UInt8]) -> Size? {
        func be16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        func be32(_ i: Int) -> Int { be16(i) << 16 | be16(i + 2) }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 26, Array(bytes[0..<8]) == png, Array(bytes[12..<16]) == Array("IHDR".utf8) {
            let colour = bytes[25]  // 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA
            return Size(width: be32(16), height: be32(20), channels: colour == 0 || colour == 4 ? 1 : 3)
        }
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var i = 2
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else { return nil }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
            let length = be16(i + 2)
            // Start of frame: every SOFn but DHT (C4), JPG (C8) and DAC (CC).
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                guard i + 10 <= bytes.count else { return nil }
                return Size(width: be16(i + 7), height: be16(i + 5), channels: bytes[i + 9] == 1 ? 1 : 3)
            }
            if marker == 0xDA || marker == 0xD9 { return nil }  // scan data before a frame header
            i += 2 + length
        }
        return nil
    }

    /// The size from the start of a file (at most `limit` bytes read: a JPEG
    /// whose EXIF block is larger has its frame header further in).
    public static func size(path: String, limit: Int = 1 << 18) -> Size? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        var bytes = [UInt8]((try? h.read(upToCount: 4096)) ?? Data())
        if let s = size(bytes) { return s }
        guard bytes.count == 4096 else { return nil }
        bytes += [UInt8]((try? h.read(upToCount: limit - 4096)) ?? Data())
        return size(bytes)
    }
}
