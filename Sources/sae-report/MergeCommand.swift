import Analyze
import ArgumentParser
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shard directories of `analyze --shard i/n` into one analysis directory.",
        discussion: """
            The shards must come from the same model, SAE, corpus and settings (checked through the hashes and settings \
            recorded in each shard) and cover every i of n once. The result equals the single run's analysis: counts, \
            heaps, the activation database and co-occurrence exactly, float sums up to rounding. The model, SAE and \
            corpus are read again (for the logit effects and the token strings) from the paths the shards recorded, or \
            from --model, --sae and --data when they moved; their SHA-256 must match the shards'.
            """)
    @Argument(help: "Shard directories (any order).") var shards: [String]
    @Option(name: .shortAndLong, help: "Output analysis directory.") var output: String
    @Option(help: "Model directory, if it moved since the shards ran.") var model: String?
    @Option(help: "SAE directory, if it moved since the shards ran.") var sae: String?
    @Option(help: "Corpus file, if it moved since the shards ran.") var data: String?
    @OptionGroup var threads: ThreadsArgument

    func run() throws {
        try reportingInputErrors {
            let merge = AnalysisMerge(shards: shards.map { URL(fileURLWithPath: $0) }, output: URL(fileURLWithPath: output))
            merge.threads = threads.threads
            merge.modelDirectory = model.map { URL(fileURLWithPath: $0) }
            merge.saeDirectory = sae.map { URL(fileURLWithPath: $0) }
            merge.corpusFile = data.map { URL(fileURLWithPath: $0) }
            let outcome = try merge.run()
            printError(String(format: "merged %d shards, %d tokens, in %.1f s", shards.count, outcome.tokenCount, outcome.seconds))
            print(outcome.directory!.path)
        }
    }
}
