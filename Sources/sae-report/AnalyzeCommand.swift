import Analyze
import ArgumentParser
import Foundation
import LMRuntime

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
            let shard = try self.shard.map(ShardSpec.init(parsing:))
            let outcome = try analyze(inputs, featureArguments, checkpointing, shard: shard, output: URL(fileURLWithPath: output))
            print(outcome.directory!.path)
        }
    }
}

/// `--resume` and the checkpoint interval (`analyze` and `run`).
struct CheckpointArguments: ParsableArguments {
    @Flag(help: "Continue the interrupted run that left its checkpoint beside the output (start afresh when there is none).")
    var resume = false
    @Option(help: "Seconds of pass work between checkpoints.") var checkpointInterval = 120.0

    func apply(to options: inout AnalysisOptions) throws {
        guard checkpointInterval > 0 else { throw ValidationError("--checkpoint-interval must be positive") }
        options.resume = resume
        options.checkpointInterval = checkpointInterval
    }
}

/// Runs a full analysis (or one shard) with a progress line and prints a one-line summary to standard error.
func analyze(_ inputs: AnalysisArguments, _ features: FeatureArguments, _ checkpointing: CheckpointArguments,
             shard: ShardSpec? = nil, output: URL) throws -> AnalysisPipeline.Outcome {
    var options = try inputs.options(output: output)
    try features.apply(to: &options)
    try checkpointing.apply(to: &options)
    options.shard = shard
    let line = ProgressLine()
    // Said once the inputs are checked and the work starts (a bad input gets its one error line only).
    var note = BLAS.pinnedKernelsNote
    let pipeline = AnalysisPipeline(options: options) { progress in
        if let text = note {
            printError("note: \(text)")
            note = nil
        }
        line.report(progress)
    }
    let outcome: AnalysisPipeline.Outcome
    do {
        let signals = StopSignals { pipeline.requestStop() }
        defer { withExtendedLifetime(signals) {} }
        outcome = try pipeline.run()
    } catch let interrupted as AnalysisInterrupted {
        line.finish()
        printError("interrupted: \(interrupted)")
        throw ExitCode.interrupted
    }
    line.finish()
    let resumed = outcome.resumedTokens > 0 ? String(format: " (resumed after %d tokens)", outcome.resumedTokens) : ""
    let what = shard.map { "shard \($0): " } ?? ""
    printError(String(format: "%@analyzed %d tokens in %.1f s%@", what, outcome.tokenCount, outcome.seconds, resumed))
    return outcome
}
