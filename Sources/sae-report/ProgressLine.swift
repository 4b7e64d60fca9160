import Analyze
import Foundation

/// Shows an analysis's progress: a line rewritten in place (tokens/s and ETA) on a terminal, a plain log line
/// every 10 seconds otherwise (CI logs, Slurm output files).
final class ProgressLine: @unchecked Sendable {
    private let isTerminal = isatty(fileno(stderr)) != 0
    private var lastPrint = Date.distantPast
    private var drewLine = false

    func report(_ progress: AnalysisProgress) {
        let now = Date()
        let finished = progress.tokensDone >= progress.tokensTotal
        guard now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.2 : 10) || finished else { return }
        lastPrint = now
        let percent = 100 * Double(progress.tokensDone) / Double(max(1, progress.tokensTotal))
        var line = String(
            format: "%@: %d/%d tokens (%.0f%%), %.0f tokens/s", progress.stage, progress.tokensDone,
            progress.tokensTotal, percent, progress.tokensPerSecond)
        if let left = progress.secondsLeft { line += String(format: ", ETA %.0f s", left) }
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
            drewLine = true
        } else {
            printError(line)
        }
    }

    /// Ends the in-place line before other output.
    func finish() {
        if drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
        drewLine = false
    }
}
