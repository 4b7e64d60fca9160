import Formats
import Foundation
import LMRuntime
import Parallelism
import SAECore

/// One `analyze` (or `quick`, or one shard) run: check and load the inputs, tokenize and pack the corpus, calibrate,
/// make the one pass over the batches (`CorpusPass`), then write the analysis directory, or the shard directory
/// that `AnalysisMerge` combines. An analysis or shard run checkpoints its pass every `checkpointInterval` seconds
/// into its staging directory; `resume` continues from there.
public final class AnalysisPipeline {
    public let options: AnalysisOptions
    private let progress: (AnalysisProgress) -> Void
    private var timings: [(String, Double)] = []
    private var clock = Date()
    private let started = Date()
    private let stopRequest = StopRequest()

    public init(options: AnalysisOptions, progress: @escaping (AnalysisProgress) -> Void = { _ in }) {
        self.options = options
        self.progress = progress
    }

    /// Asks the run to stop after the batch in progress: it saves a checkpoint (analysis and shard runs) and throws
    /// `AnalysisInterrupted`. Safe to call from any thread, e.g. a signal handler's queue.
    public func requestStop() { stopRequest.set() }

    /// What a run produced.
    public struct Outcome {
        /// What the run measured (`analysis_results` as written, or as it would be, for `quick`; for a shard, its own
        /// tokens' metrics).
        public var results: AnalysisResults
        /// The analysis (or shard) directory, when one was written.
        public var directory: URL?
        public var tokenCount: Int
        public var seconds: Double
        /// Tokens that an earlier, interrupted run had done (0 unless resumed).
        public var resumedTokens = 0
    }

    private func lap(_ stage: String) {
        timings.append((stage, Date().timeIntervalSince(clock)))
        clock = Date()
    }

    public func run() throws -> Outcome {
        if let threads = options.control.threads { Parallelism.setWorkerCount(threads) }
        BLAS.configure()

        // Inputs, all checked before any output exists.
        let (inputs, hashes) = try AnalysisInputs.loadHashing(options: options)
        let fingerprint = try PassCheckpoint.fingerprint(options: options, hashes: hashes)
        // One run per output: a second one would delete or interleave this one's staging directory.
        let outputLock = try options.control.output.map { try OutputLock(for: $0) }
        defer { withExtendedLifetime(outputLock) {} }
        let resumed = try options.control.output.flatMap { try checkpointToResume(output: $0, fingerprint: fingerprint) }
        // Staging before any long work, so an unwritable output fails at once (nothing is visible at the
        // destination until the end).
        let layout = AnalysisLayout(timestamp: resumed?.timestamp ?? AnalysisLayout.timestamp(for: started))
        let staged = try options.control.output.map {
            try StagedAnalysisDirectory(destination: $0, layout: layout, createsLayout: options.control.shard == nil)
        }
        let passDirectory = staged.map { options.control.shard == nil ? $0.scratch : $0.staging }
        lap("load")

        let corpusBatches = try inputs.corpusBatches(options: options)
        let batches = corpusBatches.batches
        let range = options.control.shard.map { $0.batches(tokenCounts: batches.map(\.tokenCount)) } ?? batches.indices
        if let shard = options.control.shard, range.isEmpty {
            throw InputError(
                "shard \(shard) has no batches: the corpus packs into \(batches.count) batches of up to "
                    + "--batch-tokens \(options.pass.batchTokens) tokens; use fewer shards", url: options.paths.corpus)
        }
        lap("tokenize")

        // Calibration sample: evenly spaced batches of the whole corpus; the activations of those in this run's
        // range (and their codes, when the calibration can give them) are kept and reused by the pass.
        var captured: [Int: (capture: HookCapture, codes: SparseCodes?)] = [:]
        var state =
            resumed?.state
            ?? PassState(
                dSae: inputs.sae.dSae, trainingEverFired: inputs.sae.everFired,
                dIn: inputs.sae.dIn, vocabularySize: inputs.vocabularySize)
        var calibration = resumed?.calibration ?? .none
        if resumed == nil, Calibration.isNeeded(options: options, topKMode: inputs.topKMode) {
            let start = Date()
            let sample = corpusBatches.evenlySpaced(tokens: options.pass.calibrationTokens)
            let sampleTokens = sample.reduce(0) { $0 + batches[$1].tokenCount }
            let forwardSeconds: Double
            (calibration, forwardSeconds) = try Calibration.run(
                inputs: inputs, options: options, batches: corpusBatches, sample: sample, keep: range,
                reuse: { captured[$0] = ($1, $2) },
                progress: { done in
                    self.progress(
                        AnalysisProgress(
                            stage: "calibration", tokensDone: done, tokensTotal: sampleTokens,
                            elapsed: Date().timeIntervalSince(start)))
                })
            state.forwardSeconds += forwardSeconds
            state.passSeconds += Date().timeIntervalSince(start)
        }
        lap("calibration")

        let collector = try passDirectory.map { directory -> ActivationCollector in
            let columns = directory.appendingPathComponent(PassCheckpoint.columnsDirectory)
            if resumed != nil {
                return try ActivationCollector(
                    resuming: columns, dSae: inputs.sae.dSae, rows: state.rows,
                    nonzeros: state.nonzeros, topExamples: options.features.topExamples)
            }
            try? FileManager.default.removeItem(at: columns)
            return try ActivationCollector(
                directory: columns, dSae: inputs.sae.dSae,
                topExamples: options.features.topExamples)
        }
        let pass = try CorpusPass(
            inputs: inputs, batches: corpusBatches, options: options, calibration: calibration,
            state: state, collector: collector)
        var checkpoint = PassCheckpoint(
            fingerprint: fingerprint, options: options, inputHashes: hashes, timestamp: layout.timestamp,
            shard: options.control.shard, batchCount: batches.count, firstBatch: range.lowerBound, endBatch: range.upperBound,
            nextBatch: resumed?.nextBatch ?? range.lowerBound, calibration: calibration,
            corpus: .init(
                texts: inputs.textCount, textsUsed: corpusBatches.textIndices.count,
                tokens: corpusBatches.totalTokens, skipped: corpusBatches.skipped),
            state: state)
        func saveCheckpoint() throws {
            guard let staged, let passDirectory else { return }
            try pass.synchronize()
            checkpoint.state = pass.state
            try checkpoint.write(in: passDirectory)
            staged.keepsStagingOnFailure = true
        }

        // The pass.
        let rangeTokens = range.reduce(0) { $0 + batches[$1].tokenCount }
        let doneBefore = state.positions  // tokens an interrupted run already did (0 unless resumed)
        var done = doneBefore
        let passStart = Date()
        var lastCheckpoint = Date()
        let resumedFrom = checkpoint.nextBatch
        for index in checkpoint.nextBatch..<range.upperBound {
            let reused = captured.removeValue(forKey: index)
            try pass.process(batch: index, capture: reused?.capture, codes: reused?.codes)
            done += batches[index].tokenCount
            checkpoint.nextBatch = index + 1
            progress(
                AnalysisProgress(
                    stage: options.pass.ablation != .none ? "activations + ablation" : "activations",
                    tokensDone: done - doneBefore, tokensTotal: rangeTokens - doneBefore,
                    elapsed: Date().timeIntervalSince(passStart)))
            if stopRequest.isSet, index + 1 < range.upperBound {
                try saveCheckpoint()
                throw AnalysisInterrupted(
                    tokensDone: pass.state.positions, tokensTotal: corpusBatches.totalTokens,
                    checkpoint: passDirectory == nil ? nil : staged?.staging)
            }
            if Date().timeIntervalSince(lastCheckpoint) >= options.control.checkpointInterval, index + 1 < range.upperBound {
                try saveCheckpoint()
                lastCheckpoint = Date()
            }
        }
        checkpoint.state = pass.state
        lap("pass")
        if options.control.shard == nil, pass.state.rows == 0 {
            throw InputError(
                "every position of the corpus was left out (\(pass.state.excludedSpecial) special tokens, "
                    + "\(pass.state.excludedHighNorm) above --ignore-high-norm): nothing to analyze; --keep-special-tokens "
                    + "keeps special tokens", url: options.paths.corpus)
        }

        var record = RunRecord(options: options, inputs: inputs, checkpoint: checkpoint, timings: timings)
        try pass.recapture(before: resumedFrom)  // a resumed run's batches from before the interruption
        record.captures = pass.takeCaptures()
        if doneBefore > 0 { record.provenance.append(.resumedAfterTokens(doneBefore)) }
        if let shard = options.control.shard { record.provenance.append(.shard(shard)) }
        guard let staged, let collector = pass.collector else {
            record.timings.append(("total", Date().timeIntervalSince(started)))
            return Outcome(
                results: record.results(), directory: nil, tokenCount: pass.state.rows,
                seconds: Date().timeIntervalSince(started), resumedTokens: doneBefore)
        }
        if options.control.shard != nil {
            try saveCheckpoint()
            try staged.commit()
            return Outcome(
                results: record.results(), directory: staged.destination, tokenCount: pass.state.rows,
                seconds: Date().timeIntervalSince(started), resumedTokens: doneBefore)
        }

        progress(
            AnalysisProgress(
                stage: "features", tokensDone: done, tokensTotal: corpusBatches.totalTokens,
                elapsed: Date().timeIntervalSince(passStart)))
        let results = try record.finishAnalysis(in: staged, collector: collector, started: started)
        return Outcome(
            results: results, directory: staged.destination, tokenCount: pass.state.rows,
            seconds: Date().timeIntervalSince(started), resumedTokens: doneBefore)
    }

    /// The checkpoint an interrupted run left for `output`, when this run should continue it. Without `resume`, an
    /// existing checkpoint is an error (it may hold hours of work); a staging directory without one (a run that
    /// stopped before its first checkpoint) is removed.
    private func checkpointToResume(output: URL, fingerprint: String) throws -> PassCheckpoint? {
        let staging = StagedAnalysisDirectory.stagingURL(for: output)
        let directory = options.control.shard == nil ? staging.appendingPathComponent(StagedAnalysisDirectory.scratchName) : staging
        guard let checkpoint = try PassCheckpoint.read(in: directory) else {
            try? FileManager.default.removeItem(at: staging)
            return nil
        }
        let done = "\(checkpoint.state.positions) of \(checkpoint.corpus.tokens) tokens done"
        guard options.control.resume else {
            throw InputError(
                "an interrupted run left a checkpoint here (\(done)): rerun with --resume to continue it, "
                    + "or delete this directory to start over", url: staging)
        }
        guard checkpoint.fingerprint == fingerprint, checkpoint.shard == options.control.shard else {
            throw InputError(
                "the checkpoint here (\(done)) was made with other inputs or settings than this run's, "
                    + "so it cannot be resumed; delete this directory to start over", url: staging)
        }
        return checkpoint
    }
}

/// A run stopped on request (`requestStop`, e.g. on SIGINT or SIGTERM) before its end.
public struct AnalysisInterrupted: Error, CustomStringConvertible {
    public var tokensDone: Int
    public var tokensTotal: Int
    /// Where the checkpoint is (nil for runs that write nothing, like `quick`).
    public var checkpoint: URL?

    public var description: String {
        let done = "stopped after \(tokensDone) of \(tokensTotal) tokens"
        guard let checkpoint else { return done }
        return "\(done); checkpoint saved in \(checkpoint.path): rerun the same command with --resume to continue"
    }
}

/// A flag set from one thread and read from another.
private final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
