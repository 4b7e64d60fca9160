import ArgumentParser
import Formats
import Foundation

extension ExitCode {
    /// The input (a file, a flag value, a combination of them) is wrong.
    static let badInput = ExitCode(1)
    /// A long run stopped on SIGINT/SIGTERM after saving a checkpoint (`--resume` continues it).
    static let interrupted = ExitCode(130)
}

/// Prints one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs a command body, turning our input errors into one clear line and exit status 1.
func reportingInputErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as InputError {
        printError("error: \(error.description)")
        throw ExitCode.badInput
    }
}
