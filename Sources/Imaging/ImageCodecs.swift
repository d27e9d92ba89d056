import CCodecs

/// A decoded 8-bit image: samples interleaved (height x width x channels),
/// rows top to bottom. `channels` is 1 (gray) or 3 (RGB) for decoded images.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// Interleaved HWC samples; `pixels.count == width * height * channels`.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

public enum ImageFormat: Sendable {
    case png, jpeg
}

/// A decode failure; `message` says why (never empty).
public struct ImageDecodeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message.isEmpty ? "decode failed" : message
    }
}

/// An encode failure (invalid arguments or a library error).
public struct ImageEncodeError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }

    public init(_ message: String) {
        self.message = message.isEmpty ? "encode failed" : message
    }
}

/// PNG color types, with libpng's PNG_COLOR_TYPE_* values.
public enum PNGColorType: Int32, Sendable {
    case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6

    /// Samples per pixel as passed to the encoder (palette: one index).
    public var samplesPerPixel: Int {
        switch self {
        case .gray, .palette: return 1
        case .grayAlpha: return 2
        case .rgb: return 3
        case .rgba: return 4
        }
    }
}

public enum ImageCodecs {
    private static let errorCapacity = 512

    /// Detects the format from the signature bytes.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        switch ccodecs_sniff(base.assumingMemoryBound(to: UInt8.self), bytes.count) {
        case 1: return .png
        case 2: return .jpeg
        default: return nil
        }
    }

    /// Detects the format from the signature bytes.
    public static func sniff(_ data: [UInt8]) -> ImageFormat? {
        data.withUnsafeBytes { sniff($0) }
    }

    /// Decodes a PNG or JPEG image to 8-bit gray (1 channel) or RGB (3 channels).
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ImageDecodeError) -> Image {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw ImageDecodeError("empty file")
        }
        guard let format = sniff(bytes) else {
            throw ImageDecodeError("not a PNG or JPEG image")
        }
        let data = base.assumingMemoryBound(to: UInt8.self)
        var image = ccodecs_image()
        var errorBuffer = [CChar](repeating: 0, count: errorCapacity)
        let rc = errorBuffer.withUnsafeMutableBufferPointer { err -> Int32 in
            switch format {
            case .png:
                return ccodecs_png_decode(data, bytes.count, &image, err.baseAddress, err.count)
            case .jpeg:
                return ccodecs_jpeg_decode(data, bytes.count, &image, err.baseAddress, err.count)
            }
        }
        guard rc == 0, let pixels = image.pixels else {
            if let pixels = image.pixels { ccodecs_free(pixels) }
            throw ImageDecodeError(message(from: errorBuffer, fallback: "decode failed"))
        }
        defer { ccodecs_free(pixels) }
        let width = Int(image.width), height = Int(image.height), channels = Int(image.channels)
        let count = width * height * channels
        return Image(width: width, height: height, channels: channels,
                     pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
    }

    /// Decodes a PNG or JPEG image to 8-bit gray (1 channel) or RGB (3 channels).
    public static func decode(_ data: [UInt8]) throws(ImageDecodeError) -> Image {
        // Typed throws do not propagate through withUnsafeBytes' rethrows, so
        // carry the result out instead.
        let result: Result<Image, ImageDecodeError> = data.withUnsafeBytes { buffer in
            do throws(ImageDecodeError) {
                return .success(try decode(buffer))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Encodes a PNG of any color type and bit depth.
    ///
    /// `samples` holds `colorType.samplesPerPixel` samples per pixel, row-major;
    /// each must fit `bitDepth` (palette: each must be a valid palette index).
    /// `palette` holds RGB triplets (palette images only).
    public static func encodePNG(width: Int, height: Int, colorType: PNGColorType, bitDepth: Int,
                                 interlaced: Bool = false, samples: [UInt16],
                                 palette: [UInt8] = []) throws(ImageEncodeError) -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw ImageEncodeError("PNG encode: invalid dimensions \(width)x\(height)")
        }
        let (pixelCount, overflow) = width.multipliedReportingOverflow(by: height)
        let expected = overflow ? nil : pixelCount.multipliedReportingOverflow(by: colorType.samplesPerPixel)
        guard let expected, !expected.overflow, samples.count == expected.partialValue else {
            throw ImageEncodeError(
                "PNG encode: expected \(width)x\(height)x\(colorType.samplesPerPixel) samples, got \(samples.count)")
        }
        guard palette.count % 3 == 0 else {
            throw ImageEncodeError("PNG encode: palette length \(palette.count) is not a multiple of 3")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outSize = 0
        var errorBuffer = [CChar](repeating: 0, count: errorCapacity)
        let rc = samples.withUnsafeBufferPointer { s in
            palette.withUnsafeBufferPointer { p in
                errorBuffer.withUnsafeMutableBufferPointer { err in
                    ccodecs_png_encode(Int32(width), Int32(height), colorType.rawValue, Int32(bitDepth),
                                       interlaced ? 1 : 0, s.baseAddress, p.baseAddress,
                                       Int32(clamping: palette.count / 3), &out, &outSize,
                                       err.baseAddress, err.count)
                }
            }
        }
        return try takeEncoded(rc: rc, out: out, size: outSize, errorBuffer: errorBuffer)
    }

    /// Encodes an 8-bit gray (1 channel) or RGB (3 channels) image as PNG.
    public static func encodePNG(_ image: Image) throws(ImageEncodeError) -> [UInt8] {
        let colorType: PNGColorType
        switch image.channels {
        case 1: colorType = .gray
        case 3: colorType = .rgb
        default:
            throw ImageEncodeError("PNG encode: channels must be 1 or 3, got \(image.channels)")
        }
        return try encodePNG(width: image.width, height: image.height, colorType: colorType,
                             bitDepth: 8, samples: image.pixels.map { UInt16($0) })
    }

    /// Encodes an 8-bit gray (1 channel) or RGB (3 channels) image as JPEG.
    public static func encodeJPEG(_ image: Image, quality: Int = 95) throws(ImageEncodeError) -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageEncodeError("JPEG encode: channels must be 1 or 3, got \(image.channels)")
        }
        guard image.width > 0, image.height > 0,
              image.width <= Int(Int32.max), image.height <= Int(Int32.max) else {
            throw ImageEncodeError("JPEG encode: invalid dimensions \(image.width)x\(image.height)")
        }
        let (pixelCount, overflow) = image.width.multipliedReportingOverflow(by: image.height)
        guard !overflow, pixelCount <= Int.max / image.channels,
              image.pixels.count == pixelCount * image.channels else {
            throw ImageEncodeError(
                "JPEG encode: expected \(image.width)x\(image.height)x\(image.channels) samples, got \(image.pixels.count)")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outSize = 0
        var errorBuffer = [CChar](repeating: 0, count: errorCapacity)
        let q = Int32(max(1, min(100, quality)))
        let rc = image.pixels.withUnsafeBufferPointer { px in
            errorBuffer.withUnsafeMutableBufferPointer { err in
                ccodecs_jpeg_encode(Int32(image.width), Int32(image.height), Int32(image.channels),
                                    px.baseAddress, q, &out, &outSize, err.baseAddress, err.count)
            }
        }
        return try takeEncoded(rc: rc, out: out, size: outSize, errorBuffer: errorBuffer)
    }

    /// The libpng version in use, e.g. "libpng 1.6.39".
    public static var pngVersion: String { String(cString: ccodecs_png_version()) }

    /// The libjpeg(-turbo) version compiled against, e.g. "libjpeg-turbo 2.1.5 (libjpeg API 62)".
    public static var jpegVersion: String { String(cString: ccodecs_jpeg_version()) }

    // MARK: - Helpers

    private static func takeEncoded(rc: Int32, out: UnsafeMutablePointer<UInt8>?, size: Int,
                                    errorBuffer: [CChar]) throws(ImageEncodeError) -> [UInt8] {
        guard rc == 0, let out else {
            if let out { ccodecs_free(out) }
            throw ImageEncodeError(message(from: errorBuffer, fallback: "encode failed"))
        }
        defer { ccodecs_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func message(from buffer: [CChar], fallback: String) -> String {
        let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
        let bytes = buffer[..<end].map { UInt8(bitPattern: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.isEmpty ? fallback : text
    }
}
