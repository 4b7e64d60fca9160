import ArgumentParser
import Foundation

// Subcommands whose engines are not built yet. Each has its final interface and real help; running one
// says it is not available and exits 2, without writing anything.

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare two or more analysis runs side by side in one site (not built yet; exits 2).")
    @Argument(help: "Analysis directories.") var runs: [String]
    @Option(name: .shortAndLong, help: "Output site directory.") var output: String
    func run() throws { try notAvailable("compare") }
}

