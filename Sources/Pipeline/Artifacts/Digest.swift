import Crypto
import Foundation

public enum Digest {
    public static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        hex(SHA256.hash(data: data))
    }

    public static func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

    /// Streams a file through SHA-256 in 4 MiB blocks.
    public static func sha256Hex(fileAt path: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw PipelineError("\(path): cannot open for reading")
        }
        defer { try? h.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try h.read(upToCount: 4 << 20) ?? Data() } catch {
                throw PipelineError("\(path): read error: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
