import Formats
import Foundation
import LMRuntime
import Parallelism

/// Combines the shard directories of one run (`analyze --shard i/n`) into the analysis directory the single run
/// would have written: the shards' databases are appended in shard order, which rebuilds the per-feature counts,
/// sums, extrema and top-example heaps exactly; the metric accumulators are merged (counts exactly, float sums up
/// to rounding); then the feature analysis and the artifacts run as in `analyze`.
public final class AnalysisMerge {
    public let shards: [URL]
    public let output: URL
    private let progress: (AnalysisProgress) -> Void
    private let started = Date()

    public init(shards: [URL], output: URL, progress: @escaping (AnalysisProgress) -> Void = { _ in }) {
        self.shards = shards
        self.output = output
        self.progress = progress
    }

    /// Options that only affect this process (threads) or the rendering of the training history.
    public var threads: Int?
    /// Where to read the inputs when they moved since the shards ran (nil: the paths the shards recorded). Either way
    /// their SHA-256 must match the shards'.
    public var modelDirectory: URL?
    public var saeDirectory: URL?
    public var corpusFile: URL?

    public func run() throws -> AnalysisPipeline.Outcome {
        if let threads { Parallelism.setWorkerCount(threads) }
        BLAS.configure()
        let checkpoints = try orderedCheckpoints()
        let first = checkpoints[0].checkpoint
        var options = first.options
        options.control.output = output
        options.control.shard = nil
        options.control.resume = false
        options.control.threads = threads
        // The shards only ran past the model-family check, and the inputs must hash as theirs did: a mismatch was
        // allowed then, and comes back as the merged run's warning.
        options.control.allowOtherModel = true
        if let modelDirectory { options.paths.model = modelDirectory }
        if let saeDirectory { options.paths.sae = saeDirectory }
        if let corpusFile { options.paths.corpus = corpusFile }

        let (inputs, hashes) = try AnalysisInputs.loadHashing(options: options)
        let changed = hashes.differences(from: first.inputHashes)
        guard changed.isEmpty else {
            throw InputError(
                "the inputs differ from those the shards were made from (SHA-256 of "
                    + "\(changed.joined(separator: ", ")))", url: checkpoints[0].directory)
        }
        let clock = Date()
        let layout = AnalysisLayout(timestamp: AnalysisLayout.timestamp(for: started))
        let outputLock = try OutputLock(for: output)
        defer { withExtendedLifetime(outputLock) {} }
        let staged = try StagedAnalysisDirectory(destination: output, layout: layout)
        try? FileManager.default.removeItem(at: staged.scratch)
        var collector = try ActivationCollector(
            directory: staged.scratch.appendingPathComponent(PassCheckpoint.columnsDirectory),
            dSae: inputs.sae.dSae, topExamples: options.features.topExamples)
        var state: PassState?
        var warnings: [String] = []
        for (shard, (directory, checkpoint)) in checkpoints.enumerated() {
            let database = try ActivationDatabase(
                directory: directory.appendingPathComponent(PassCheckpoint.columnsDirectory),
                dSae: inputs.sae.dSae)
            guard database.rowCount == checkpoint.state.rows, database.nonzeroCount == checkpoint.state.nonzeros else {
                throw InputError(
                    "the shard's database holds \(database.rowCount) rows and its checkpoint records "
                        + "\(checkpoint.state.rows): the shard directory is damaged", url: directory)
            }
            try collector.append(database)
            state = state.map { $0.merged(with: checkpoint.state) } ?? checkpoint.state
            if checkpoint.calibration != first.calibration {
                warnings.append(
                    "shard \(shard + 1) calibrated a different top-k threshold or mean "
                        + "(\(checkpoint.calibration.threshold.map { "\($0)" } ?? "none") vs "
                        + "\(first.calibration.threshold.map { "\($0)" } ?? "none")); the calibration sample is "
                        + "the same in every shard, so only floating-point differences between machines cause this")
            }
            progress(
                AnalysisProgress(
                    stage: "merge", tokensDone: collector.writer.count, tokensTotal: first.corpus.tokens,
                    elapsed: Date().timeIntervalSince(started)))
        }
        var merged = first
        merged.timestamp = layout.timestamp
        merged.shard = nil
        merged.firstBatch = 0
        merged.endBatch = first.batchCount
        merged.nextBatch = first.batchCount
        merged.state = state!
        var record = RunRecord(
            options: options, inputs: inputs, checkpoint: merged,
            timings: [("merge", Date().timeIntervalSince(clock))])
        record.provenance.append(.mergedShards(checkpoints.count))
        record.extraWarnings = warnings
        let results = try record.finishAnalysis(in: staged, collector: collector, started: started)
        return AnalysisPipeline.Outcome(
            results: results, directory: staged.destination, tokenCount: merged.state.rows,
            seconds: Date().timeIntervalSince(started))
    }

    /// The shards' checkpoints in shard order, after checking they are complete shards of one run covering it once.
    private func orderedCheckpoints() throws -> [(directory: URL, checkpoint: PassCheckpoint)] {
        guard !shards.isEmpty else { throw InputError("merge needs at least one shard directory") }
        var found: [(directory: URL, checkpoint: PassCheckpoint)] = []
        for directory in shards {
            guard let checkpoint = try PassCheckpoint.read(in: directory) else {
                throw InputError(
                    "not a shard directory (no \(PassCheckpoint.fileName); write shards with analyze --shard i/n)",
                    url: directory)
            }
            guard let shard = checkpoint.shard else {
                throw InputError(
                    "this checkpoint is not a shard's (it belongs to an interrupted analyze; resume it instead)",
                    url: directory)
            }
            guard checkpoint.isComplete else {
                throw InputError("shard \(shard) is incomplete (\(checkpoint.state.positions) tokens done)", url: directory)
            }
            if let other = found.first {
                guard checkpoint.fingerprint == other.checkpoint.fingerprint else {
                    throw InputError("this shard was made with other inputs or settings than \(other.directory.path)", url: directory)
                }
                guard shard.count == other.checkpoint.shard!.count else {
                    throw InputError(
                        "shard \(shard) belongs to a split into \(shard.count), \(other.directory.path) to one "
                            + "into \(other.checkpoint.shard!.count)", url: directory)
                }
            }
            if let duplicate = found.first(where: { $0.checkpoint.shard == shard }) {
                throw InputError("shard \(shard) is given twice (also \(duplicate.directory.path))", url: directory)
            }
            found.append((directory, checkpoint))
        }
        let count = found[0].checkpoint.shard!.count
        let missing = Set(1...count).subtracting(found.map { $0.checkpoint.shard!.index }).sorted()
        guard missing.isEmpty else {
            throw InputError("shards \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) are missing", url: found[0].directory)
        }
        return found.sorted { $0.checkpoint.shard!.index < $1.checkpoint.shard!.index }
    }
}
