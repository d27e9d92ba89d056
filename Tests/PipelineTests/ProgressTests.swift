import Foundation
import XCTest
@testable import Pipeline

/// Progress lines: quiet for work that ends within one interval when asked
/// (hashing a small folder), shown with done/total once it runs longer.
final class ProgressTests: XCTestCase {
    /// What `body` writes to standard error.
    func stderr(_ body: () -> Void) throws -> String {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let saved = dup(STDERR_FILENO)
        dup2(fds[1], STDERR_FILENO)
        body()
        dup2(saved, STDERR_FILENO)
        close(fds[1])
        close(saved)
        let data = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true).readDataToEndOfFile()
        return String(decoding: data, as: UTF8.self)
    }

    func testQuietIfShortPrintsNothingForQuickWork() throws {
        let out = try stderr {
            let p = Pipeline.Progress("hashing", total: 3, unit: "files", interval: 1, quietIfShort: true)
            p.advance(by: 3)
            p.finish()
        }
        XCTAssertEqual(out, "")
        let loud = try stderr {
            let p = Pipeline.Progress("training", total: 3, unit: "steps", interval: 1)
            p.advance(by: 3)
            p.finish()
        }
        XCTAssertTrue(loud.contains("training: 3/3 steps (100.0%)"), loud)
    }

    func testQuietIfShortReportsWorkThatOutlastsAnInterval() throws {
        let out = try stderr {
            let p = Pipeline.Progress("hashing", total: 4, unit: "files", interval: 1, quietIfShort: true)
            p.advance(by: 1)
            Thread.sleep(forTimeInterval: 1.1)
            p.advance(by: 1)
            p.advance(by: 2)
            p.finish()
        }
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, out)
        XCTAssertTrue(lines.first?.hasPrefix("hashing: 2/4 files (50.0%)") ?? false, out)
        XCTAssertTrue(lines.last?.hasPrefix("hashing: 4/4 files (100.0%)") ?? false, out)
    }
}
