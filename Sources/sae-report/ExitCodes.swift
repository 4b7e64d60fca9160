import ArgumentParser
import Analyze
import Foundation

extension ExitCode {
    /// The input (a file, a flag value, a combination of them) is wrong.
    static let badInput = ExitCode(1)
    /// The command or feature is not built yet.
    static let notAvailable = ExitCode(2)
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

/// What a subcommand that is not built yet does: say so, exit 2, write nothing.
func notAvailable(_ command: String) throws -> Never {
    printError("sae-report \(command): not available in this version yet")
    throw ExitCode.notAvailable
}
