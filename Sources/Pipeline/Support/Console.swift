import Foundation
import Logging

/// Stage output on stderr: "<stage>: message" lines, through swift-log so a
/// host program can route them elsewhere.
public enum Console {
    private static let bootstrapped: Bool = {
        LoggingSystem.bootstrap { label in
            var h = PlainLogHandler(label: label)
            h.logLevel = ProcessInfo.processInfo.environment["IJEPA_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
            return h
        }
        return true
    }()

    public static func logger(_ stage: String) -> Logger {
        _ = bootstrapped
        return Logger(label: stage)
    }
}

struct PlainLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let tag = event.level >= .warning ? "\(event.level): " : ""
        FileHandle.standardError.write(Data("\(label): \(tag)\(event.message)\n".utf8))
    }
}
