import Foundation
import XCTest
@testable import Pipeline

/// One process (or thread) at a time per artifact key; the lock dies with its holder.
final class ArtifactLockTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID())").path }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testSecondHolderWaitsForTheFirst() throws {
        let store = ArtifactStore(root: dir)
        let events = LockedLog()
        let firstHolds = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            try? store.exclusive(stage: "prepare", key: "k") {
                events.add("first in")
                firstHolds.signal()
                Thread.sleep(forTimeInterval: 0.3)
                events.add("first out")
            }
            done.leave()
        }
        firstHolds.wait()
        try store.exclusive(stage: "prepare", key: "k", waiting: { _ in events.add("second waits") }) {
            events.add("second in")
        }
        done.wait()
        XCTAssertEqual(events.all, ["first in", "second waits", "first out", "second in"])
        // Another key is not blocked.
        try store.exclusive(stage: "prepare", key: "other", waiting: { _ in XCTFail("other key waited") }) {}
    }

    func testLockOfAKilledProcessIsFree() throws {
        let store = ArtifactStore(root: dir)
        try FileManager.default.createDirectory(atPath: "\(dir)/.locks", withIntermediateDirectories: true)
        // flock(1) holds the lock (-o: its command does not inherit it), then is killed.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        child.arguments = ["-o", "\(dir)/.locks/prepare-k", "sleep", "30"]
        try child.run()
        Thread.sleep(forTimeInterval: 0.3)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        let start = Date()
        try store.exclusive(stage: "prepare", key: "k", waiting: { _ in }) {}
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the dead holder's lock was released")
    }
}

final class LockedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []
    func add(_ e: String) { lock.lock(); events.append(e); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return events }
}
