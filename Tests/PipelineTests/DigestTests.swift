import Foundation
import XCTest
@testable import Pipeline

/// SHA-256 (libcrypto) against the FIPS 180-2 test vectors, and a file streamed
/// in blocks against the same bytes hashed at once.
final class DigestTests: XCTestCase {
    func testSHA256MatchesTheFIPSVectors() {
        XCTAssertEqual(Digest.sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Digest.sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Digest.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(Digest.sha256Hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testStreamedFileEqualsOneShot() throws {
        // Larger than the 4 MiB read block, not a multiple of it.
        var bytes = [UInt8](repeating: 0, count: (9 << 20) + 123)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 13) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try Digest.sha256Hex(fileAt: path), Digest.sha256Hex(Data(bytes)))
    }
}
