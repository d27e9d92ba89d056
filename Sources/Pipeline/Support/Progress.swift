import Foundation

/// done/total, rate and ETA for long work: redrawn in place on a terminal,
/// plain periodic lines otherwise (logs, CI, make -j).
/// Sendable: the counters and `note` change only under `lock`; the rest are `let`s.
public final class Progress: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let interval: Double
    private let isTerminal: Bool
    private let start = Date()
    private let lock = NSLock()
    private var done = 0
    private var lastPrint = Date.distantPast
    private var note = ""
    /// Quiet unless the work outlasts one interval: nothing before it, and no final line after.
    private let quietIfShort: Bool
    private var printed = false

    /// `quietIfShort`: for work that is usually quick (hashing a folder):
    /// the first line comes after one interval, and short work prints nothing.
    public init(_ label: String, total: Int, unit: String = "images", interval: Double = 10, quietIfShort: Bool = false) {
        self.label = label
        self.total = total
        self.unit = unit
        self.interval = interval
        self.isTerminal = isatty(STDERR_FILENO) == 1
        self.quietIfShort = quietIfShort
        if quietIfShort { lastPrint = start.addingTimeInterval(max(interval, 1) - (isTerminal ? 0.1 : interval)) }
    }

    /// `note` (e.g. the current loss) is shown after the counts.
    public func advance(by n: Int, note: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        done += n
        if let note { self.note = note }
        let now = Date()
        if now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.1 : interval) {
            lastPrint = now
            emit(final: false)
        }
    }

    /// Prints the final line and returns the rate in units per second.
    @discardableResult
    public func finish() -> Double {
        lock.lock()
        defer { lock.unlock() }
        if !quietIfShort || printed { emit(final: true) }
        return rate
    }

    private var rate: Double {
        let dt = Date().timeIntervalSince(start)
        return dt > 0 ? Double(done) / dt : 0
    }

    private func emit(final: Bool) {
        printed = true
        let pct = total > 0 ? 100 * Double(done) / Double(total) : 100
        var line = "\(label): \(done)/\(total) \(unit) (\(String(format: "%.1f", pct))%), \(Progress.format(rate)) \(unit)/s"
        if !note.isEmpty { line += ", \(note)" }
        if final {
            line += ", \(String(format: "%.2f", Date().timeIntervalSince(start))) s"
        } else if rate > 0 {
            line += ", ETA \(Progress.duration(Double(total - done) / rate))"
        }
        let text = isTerminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func format(_ x: Double) -> String {
        x >= 100 ? String(format: "%.0f", x) : String(format: "%.1f", x)
    }

    static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        if s < 60 { return String(format: "%.0fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }
}
