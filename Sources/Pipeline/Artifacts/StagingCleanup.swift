import Dispatch
import Foundation

/// Removes in-progress staging directories when the process is interrupted
/// (SIGINT, SIGTERM), so Ctrl-C never leaves a half-written artifact behind.
/// (SIGKILL cannot be caught; its leftovers are hidden `.tmp-` directories
/// that the next run of the same key removes.)
/// Sendable: `dirs` and `sources` are read and written only under `lock`, by the signal handlers too.
final class StagingCleanup: @unchecked Sendable {
    static let shared = StagingCleanup()

    private let lock = NSLock()
    private var dirs: Set<String> = []
    private var sources: [DispatchSourceSignal] = []

    private init() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { [unowned self] in
                // Held until exit: no publish can start or be half done.
                self.lock.lock()
                for d in self.dirs { try? FileManager.default.removeItem(atPath: d) }
                FileHandle.standardError.write(Data("interrupted: no artifact written\n".utf8))
                _exit(128 + sig)
            }
            src.resume()
            sources.append(src)
        }
    }

    /// Forces the lazy initialisation (signal sources) to happen now.
    func arm() {}

    /// Runs `publish` (the rename into place) so that an interrupt either
    /// happens before it, removing the staging directory, or after it, when
    /// the directory is no longer registered and the artifact is complete.
    func publishing<T>(_ dir: String, _ publish: () throws -> T) rethrows -> T {
        lock.lock()
        defer {
            dirs.remove(dir)
            lock.unlock()
        }
        return try publish()
    }

    func register(_ dir: String) {
        lock.lock()
        dirs.insert(dir)
        lock.unlock()
    }

    func unregister(_ dir: String) {
        lock.lock()
        dirs.remove(dir)
        lock.unlock()
    }
}
