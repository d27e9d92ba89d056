import ArgumentParser
import Foundation

/// A program's failure: its one-line error on stderr, then the exit code
/// (1) for the executable to throw, so no library ends the process itself.
public func failure(_ program: String, _ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("\(program): error: \(error)\n".utf8))
    return .failure
}
