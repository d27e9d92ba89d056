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
        // Blocked in this thread and every thread it starts later (the OpenMP
        // team, oneDNN's GEMMs, ours), so the signals wait for libdispatch's
        // signalfd instead of running a handler on whichever thread the kernel
        // picks. oneDNN 2.6's float32 GEMM kernels point the stack pointer into
        // a heap buffer (oneDNN issue #4845, fixed in 3.11), so a handler run
        // in one writes its frame into the heap: 5 of 34 SIGTERMs during
        // training crashed in oneDNN's free (0 of 45 since). A signal sent
        // before the source is registered stays pending instead of being lost.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for sig in [SIGINT, SIGTERM] { sigaddset(&blocked, sig) }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
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

    /// Forces the lazy initialisation (signal sources) to happen now: from
    /// the main thread, before it starts any other (they inherit its mask).
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
