import Analyze
import ArgumentParser
import Foundation

struct QuickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quick",
        abstract: "Headline metrics on a corpus sample, without the activation database (the seed's analysis_short_rerun.py).",
        discussion: "Prints sparsity, dead features, reconstruction and ablation numbers; --json prints the whole results document.")
    @OptionGroup var inputs: AnalysisArguments
    @Flag(help: "Print the results as JSON (the analysis_results schema) instead of a table.") var json = false

    func run() throws {
        try reportingInputErrors {
            var options = inputs.options(output: nil)
            if inputs.maxTexts == nil { options.pass.maxTexts = 500 }
            options.pass.featureAnalysis = false
            let outcome = try runAnalysis(options)
            let results = outcome.results
            if json {
                print(results.document.pretty)
                return
            }
            print(String(format: "%d tokens in %.1f s", outcome.tokenCount, outcome.seconds))
            for row in results.headlineRows {
                let value = row.value.map { String(format: "%.6g", $0) } ?? "n/a"
                let seed = row.seedValue.map { String(format: "  (seed's definition: %.6g)", $0) } ?? ""
                print("\(row.group).\(row.name)".padding(toLength: 44, withPad: " ", startingAt: 0) + value + seed)
            }
            for warning in results.warnings { print("warning: " + warning) }
        }
    }
}
