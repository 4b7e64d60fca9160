import Analyze
import ArgumentParser
import Foundation
import SiteGen

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "analyze, then site, in one command: OUTPUT/analysis and OUTPUT/site.")
    @OptionGroup var inputs: AnalysisArguments
    @OptionGroup var featureArguments: FeatureArguments
    @OptionGroup var checkpointing: CheckpointArguments
    @Option(name: .shortAndLong, help: "Output directory (analysis/ and site/ inside).") var output: String

    func run() throws {
        try reportingInputErrors {
            let root = URL(fileURLWithPath: output)
            var options = inputs.options(output: root.appendingPathComponent("analysis"))
            featureArguments.apply(to: &options)
            checkpointing.apply(to: &options)
            let outcome = try runAnalysis(options)
            let site = root.appendingPathComponent("site")
            var builder = SiteBuilder(analysis: outcome.directory!, output: site)
            builder.recordsLocation = true
            try builder.build()
            print(site.appendingPathComponent("index.html").path)
        }
    }
}
