import Analyze
import ArgumentParser
import Foundation

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run the model over a corpus, encode with the SAE, and write the analysis directory.",
        discussion: """
            One pass over the corpus: the model runs once to the SAE's hook per batch; the ablation study continues \
            from the same prefix. Writes the seed's layout plus ours (docs/artifacts.md) into a temporary directory \
            next to OUTPUT and renames it into place at the end. The pass is checkpointed there every \
            --checkpoint-interval seconds; after an interruption, the same command with --resume continues it.

            Splitting a large corpus across machines: run `analyze --shard i/n -o SHARD_i` for i = 1..n (a Slurm array \
            with --array=1-n and --shard $SLURM_ARRAY_TASK_ID/n, a Kubernetes indexed job with \
            --shard $((JOB_COMPLETION_INDEX+1))/n, or `parallel sae-report analyze ... --shard {}/n -o shard{} ::: $(seq n)`), \
            then `sae-report merge SHARD_1 ... SHARD_n -o OUTPUT`. Every shard tokenizes the whole corpus and runs the \
            same calibration sample, so the merged analysis equals the single run's.
            """)
    @OptionGroup var inputs: AnalysisArguments
    @OptionGroup var featureArguments: FeatureArguments
    @OptionGroup var checkpointing: CheckpointArguments
    @Option(help: "Process only shard i of n (1-based, e.g. 3/8) and write a shard directory for `sae-report merge`.")
    var shard: String?
    @Option(name: .shortAndLong, help: "Output analysis directory (with --shard: the shard directory).") var output: String

    func run() throws {
        try reportingInputErrors {
            var options = inputs.options(output: URL(fileURLWithPath: output))
            featureArguments.apply(to: &options)
            checkpointing.apply(to: &options)
            options.control.shard = try shard.map(ShardSpec.init(parsing:))
            let outcome = try runAnalysis(options)
            print(outcome.directory!.path)
        }
    }
}
