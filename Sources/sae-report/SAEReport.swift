import ArgumentParser
import Formats
import Foundation

@main
struct SAEReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sae-report",
        abstract: "Analyze a sparse autoencoder trained on a language model and publish the analysis as a static site.",
        discussion: """
            Exit status: 0 success, 1 bad input (the error line names the file and the problem), 64 a bad flag or value \
            (with the usage), 130 interrupted \
            (analyze/run saved a checkpoint; rerun with --resume).
            """,
        version: ToolVersion.string,
        subcommands: [
            AnalyzeCommand.self, SiteCommand.self, RunCommand.self, QuickCommand.self, CompareCommand.self, MergeCommand.self, ArchiveCommand.self,
            VerifyCommand.self, DemoCommand.self,
            InspectSAECommand.self, InspectModelCommand.self, TokenizeCommand.self, ActivationsCommand.self,
        ]
    )
}
