import Analyze
import ArgumentParser
import Foundation
import LMRuntime

/// The one way the CLI runs an analysis (`analyze`, `run`, `demo`, and `quick` without a directory): the progress
/// line, the note on pinned OpenBLAS kernels once the work starts, and SIGINT/SIGTERM stopping after the current
/// batch with a checkpoint (exit status 130). Prints a one-line summary to standard error.
func runAnalysis(_ options: AnalysisOptions) throws -> AnalysisPipeline.Outcome {
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
    let what = options.control.shard.map { "shard \($0): " } ?? ""
    printError(String(format: "%@analyzed %d tokens in %.1f s%@", what, outcome.tokenCount, outcome.seconds, resumed))
    return outcome
}
