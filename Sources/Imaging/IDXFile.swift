import CZlib
import Foundation

/// An MNIST-family IDX file: a big-endian header (magic 0x0000_08_NN with
/// NN dimensions, then NN 32-bit sizes) followed by unsigned bytes. `.gz`
/// files are inflated on the fly.
public struct IDXFile: Sendable {
    public let path: String
    public let dims: [Int]
    public let data: [UInt8]

    public var count: Int { dims.first ?? 0 }

    public init(path: String) throws {
        self.path = path
        let bytes = try IDXFile.readAll(path)
        guard bytes.count >= 4 else { throw IDXError(path, "too short for an IDX header (\(bytes.count) bytes)") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw IDXError(path, "not an IDX file (magic \(IDXFile.hex(bytes.prefix(4))))")
        }
        guard bytes[2] == 0x08 else {
            throw IDXError(path, "unsupported IDX element type 0x\(String(bytes[2], radix: 16)) (only unsigned bytes, 0x08)")
        }
        let nd = Int(bytes[3])
        guard nd >= 1, nd <= 4 else { throw IDXError(path, "corrupt IDX header: \(nd) dimensions") }
        let headerLen = 4 + 4 * nd
        guard bytes.count >= headerLen else { throw IDXError(path, "truncated IDX header") }
        var dims: [Int] = []
        var expected = 1
        for d in 0..<nd {
            let o = 4 + 4 * d
            let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            guard v > 0, v < 1 << 30 else { throw IDXError(path, "corrupt IDX header: dimension \(d) is \(v)") }
            dims.append(v)
            expected = expected.multipliedReportingOverflow(by: v).partialValue
        }
        let have = bytes.count - headerLen
        guard have == expected else {
            throw IDXError(path, have < expected
                ? "truncated: header promises \(expected) data bytes (\(dims.map(String.init).joined(separator: "x"))), file has \(have)"
                : "\(have - expected) bytes beyond the \(expected) the header promises")
        }
        self.dims = dims
        self.data = Array(bytes[headerLen...])
    }

    private static func hex<S: Sequence>(_ b: S) -> String where S.Element == UInt8 {
        "0x" + b.map { String(format: "%02x", $0) }.joined()
    }

    /// Whole file, gunzipped when it is gzip data (zlib reads plain files
    /// unchanged). A truncated gzip stream is an error, not a short read.
    static func readAll(_ path: String) throws -> [UInt8] {
        guard FileManager.default.isReadableFile(atPath: path) else { throw IDXError(path, "cannot read file") }
        guard let gz = gzopen(path, "rb") else { throw IDXError(path, "cannot open") }
        _ = gzbuffer(gz, 1 << 20)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(gz, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                var errnum: Int32 = 0
                let msg = String(cString: gzerror(gz, &errnum))
                gzclose_r(gz)
                throw IDXError(path, "corrupt gzip data: \(msg)")
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        let rc = gzclose_r(gz)
        if rc == Z_BUF_ERROR { throw IDXError(path, "truncated gzip data") }
        if rc != Z_OK { throw IDXError(path, "corrupt gzip data (zlib error \(rc))") }
        return out
    }

    public static var zlibVersion: String { String(cString: CZlib.zlibVersion()) }
}

public struct IDXError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ path: String, _ what: String) { description = "\(path): \(what)" }
}
