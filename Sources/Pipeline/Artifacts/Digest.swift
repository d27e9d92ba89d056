import CCrypto
import Foundation

/// SHA-256 through OpenSSL's libcrypto.
public enum Digest {
    public static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        let hasher = SHA256Stream()
        for region in data.regions { region.withUnsafeBytes { hasher.update($0) } }
        return hex(hasher.finalize())
    }

    public static func sha256Hex(_ text: String) -> String { sha256Hex(Data(text.utf8)) }

    /// Streams a file through SHA-256 in 4 MiB blocks.
    public static func sha256Hex(fileAt path: String) throws -> String {
        guard let h = FileHandle(forReadingAtPath: path) else {
            throw PipelineError("\(path): cannot open for reading")
        }
        defer { try? h.close() }
        let hasher = SHA256Stream()
        while true {
            let chunk: Data
            do { chunk = try h.read(upToCount: 4 << 20) ?? Data() } catch {
                throw PipelineError("\(path): read error: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            chunk.withUnsafeBytes { hasher.update($0) }
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

/// One SHA-256 computation over data given in pieces (an EVP digest context).
final class SHA256Stream {
    private let context: OpaquePointer

    init() {
        guard let c = EVP_MD_CTX_new(), EVP_DigestInit_ex(c, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto: cannot start a SHA-256 digest")
        }
        context = c
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "libcrypto: SHA-256 update failed")
    }

    func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1 && length == 32, "libcrypto: SHA-256 final failed")
        return out
    }
}
