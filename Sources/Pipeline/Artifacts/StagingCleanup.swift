import Dispatch
import Foundation

/// Removes in-progress staging directories when the process is interrupted
/// (SIGINT, SIGTERM), so Ctrl-C never leaves a half-written artifact behind.
/// (SIGKILL cannot be caught; its leftovers are hidden `.tmp-` directories
/// that the next run of the same key removes.)
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
                self.lock.lock()
                let pending = self.dirs
                self.lock.unlock()
                for d in pending { try? FileManager.default.removeItem(atPath: d) }
                FileHandle.standardError.write(Data("interrupted: no artifact written\n".utf8))
                _exit(128 + sig)
            }
            src.resume()
            sources.append(src)
        }
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
