import ArgumentParser
import Analyze
import Foundation
import SiteGen

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run the model over a corpus, encode with the SAE, and write the analysis directory.",
        discussion: """
        One pass over the corpus: the model runs once to the SAE's hook per batch; the ablation study continues \
        from the same prefix. Writes the seed's layout plus ours (docs/artifacts.md) into a temporary directory \
        next to OUTPUT and renames it into place at the end.
        """)
    @OptionGroup var inputs: AnalysisArguments
    @OptionGroup var featureArguments: FeatureArguments
    @Option(name: .shortAndLong, help: "Output analysis directory.") var output: String

    func run() throws {
        try reportingInputErrors {
            let outcome = try analyze(inputs, featureArguments, output: URL(fileURLWithPath: output))
            print(outcome.directory!.path)
        }
    }
}

/// Runs a full analysis with a progress line and prints a one-line summary to standard error.
func analyze(_ inputs: AnalysisArguments, _ features: FeatureArguments, output: URL) throws -> AnalysisPipeline.Outcome {
    var options = try inputs.options(output: output)
    try features.apply(to: &options)
    options.renderTrainingHistory = { TrainingHistoryChart.png($0) }
    let line = ProgressLine()
    let outcome = try AnalysisPipeline(options: options, progress: line.report).run()
    line.finish()
    printError(String(format: "analyzed %d tokens in %.1f s", outcome.tokenCount, outcome.seconds))
    return outcome
}
