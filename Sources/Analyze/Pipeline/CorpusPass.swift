import Foundation
import LMRuntime
import SAECore

/// The pass's engine: each packed batch goes through the forward to the hook once, the SAE, every accumulator and
/// the on-disk activation database, and (on the ablation batches) the rest of the model from the same captured
/// prefix for the clean, SAE-spliced and ablated variants.
final class CorpusPass {
    private let inputs: AnalysisInputs
    private let batches: CorpusBatches
    private let options: AnalysisOptions
    private let encoder: SAEEncoder
    private let calibration: Calibration
    private let ablationBatches: Set<Int>
    private let exclusion: PositionExclusion
    private(set) var state: PassState
    private(set) var collector: ActivationCollector?
    /// The hook activations kept for the loss effects (nil when no loss effects will run in this process).
    private(set) var captures: PassCaptures?

    init(
        inputs: AnalysisInputs, batches: CorpusBatches, options: AnalysisOptions, calibration: Calibration,
        state: PassState, collector: ActivationCollector?
    ) throws {
        self.inputs = inputs
        self.batches = batches
        self.options = options
        self.calibration = calibration
        self.state = state
        self.collector = collector
        if collector != nil, options.control.shard == nil, RunRecord.runsLossEffects(options: options, inputs: inputs) {
            // What keeping a capture costs per token, at most: the hook's width, and inside a sublayer the residual
            // stream and (parallel blocks) attention's pending output (counted for every sublayer hook).
            let hook = inputs.hook, d = inputs.model.hiddenSize
            let inside = hook.point == .attnZ || hook.point == .attnOut || hook.point == .ln2Normalized || hook.point == .mlpOut
            let rowBytes = (inputs.model.width(of: hook) + (inside ? 2 * d : 0)) * MemoryLayout<Float>.stride
            captures = PassCaptures(batches: batches.batches, range: batches.batches.indices, rowBytes: rowBytes)
        }
        encoder = try SAEEncoder(sae: inputs.sae, topKMode: inputs.topKMode, threshold: calibration.threshold)
        exclusion = Calibration.exclusion(
            options: options, specialTokens: inputs.specialTokens, medianNorm: calibration.medianNorm)
        ablationBatches = options.pass.ablation == .none ? [] : Set(batches.evenlySpaced(tokens: options.pass.ablationTokens))
    }

    /// Runs batch `index` (from `capture`, its hook activations, and `codes`, those of its kept rows, when the
    /// calibration already computed them).
    func process(batch index: Int, capture: HookCapture?, codes: SparseCodes? = nil) throws {
        let batch = batches.batches[index]
        let t0 = Date()
        let capture = try capture ?? inputs.model.forward(batch, stopAt: inputs.hook)
        state.forwardSeconds += Date().timeIntervalSince(t0)
        captures?.keep(capture, batch: index, batch, textIndices: batches.textIndices)
        let x = inputs.view.activations(capture.activations).values, width = capture.activations.width
        // Left-out positions (special tokens, high norms) are neither encoded nor counted: the SAE, the accumulators
        // and the database see the kept rows only.
        let mask = exclusion.mask(tokens: batch.tokens, activations: x, width: width)
        let kept = includedRows(x, width: width, included: mask.included)
        let isFirst = included(CorpusBatches.firstTokenFlags(batch), mask.included)
        let rows = mask.includedCount
        precondition(codes.map { $0.rowCount == rows } ?? true, "the calibration's codes are not this batch's")
        let codes = codes ?? encoder.encode(kept, rows: rows)
        let reconstructed = inputs.sae.decode(codes, denormalizing: kept)
        state.sparsity.add(codes, isFirst: isFirst)
        state.reconstruction.add(original: kept, reconstruction: reconstructed, isFirst: isFirst)
        if var collector {
            self.collector = nil  // keeps the collector uniquely referenced while it grows
            try collector.add(codes, tokens: batches.tokenRecords(batch, included: mask.included))
            self.collector = collector
            state.rows = collector.writer.count
            state.nonzeros = collector.writer.nonzeros
        } else {
            state.rows += rows
        }
        state.positions += batch.tokenCount
        state.excludedSpecial += mask.special
        state.excludedHighNorm += mask.highNorm
        if ablationBatches.contains(index) {
            let t1 = Date()
            try ablate(batch: batch, capture: capture, reconstruction: reconstructed, included: mask.included)
            state.ablatedTokens += rows
            state.ablationSeconds += Date().timeIntervalSince(t1)
        }
        state.passSeconds += Date().timeIntervalSince(t0)
    }

    /// Runs the kept batches before `first` (those an interrupted run had done) to the hook again and keeps them.
    func recapture(before first: Int) throws {
        guard let kept = captures?.kept else { return }
        for index in kept where index < first {
            let batch = batches.batches[index]
            captures?.keep(try inputs.model.forward(batch, stopAt: inputs.hook), batch: index, batch, textIndices: batches.textIndices)
        }
    }

    /// Hands over the kept hook activations (the pass keeps none after).
    func takeCaptures() -> PassCaptures? {
        defer { captures = nil }
        return captures
    }

    /// Forces the database columns to disk, so a checkpoint of `state` never points past what survives a crash.
    func synchronize() throws { try collector?.writer.synchronize() }

    /// Runs the suffix of the model from the hook once for the clean run and every patched variant, stacked into
    /// one pass, and feeds their next-token losses (the fused LM head: no `[rows, vocab]` logits) to the accumulator.
    /// Left-out positions keep their clean activation in the splice (splicing the SAE where it was not trained would
    /// change the CE of every later token) and are not averaged; the zero and mean ablations replace every position,
    /// as SAELens's `get_recons_loss` does.
    private func ablate(batch: PackedBatch, capture: HookCapture, reconstruction: [Float], included: [Bool]) throws {
        let model = inputs.model
        let n = batch.tokenCount, d = model.width(of: capture.hook)
        var spliced = reconstruction
        if included.contains(false) {
            spliced = capture.activations.values
            var next = 0
            for row in 0..<n where included[row] {
                spliced.replaceSubrange((row * d)..<((row + 1) * d), with: reconstruction[(next * d)..<((next + 1) * d)])
                next += 1
            }
        }
        var replacements: [Activations?] = [nil, Activations(rows: n, width: d, values: spliced)]
        var zero: TokenLosses.ZeroRun?
        if options.pass.ablation == .zero || options.pass.ablation == .both {
            // On a model without biases a zeroed residual stream stays exactly zero through every later block and the
            // final norm, so its logits are all zero: the uniform distribution, with no pass of its own.
            if model.zeroAblationIsUniform(at: capture.hook) {
                zero = .uniform(vocabularySize: model.vocabSize)
            } else {
                zero = .run(replacements.count)
                replacements.append(Activations(rows: n, width: d, values: [Float](repeating: 0, count: n * d)))
            }
        }
        var mean: Int?
        if options.pass.ablation == .mean || options.pass.ablation == .both {
            mean = replacements.count
            replacements.append(Activations(rows: n, width: d, values: Array((0..<n).map { _ in calibration.mean }.joined())))
        }
        let hidden = try model.continueForward(from: capture, replacements: replacements, batch: batch)
        let statistics = try model.nextTokenStatistics(batch: batch, stackedHidden: hidden, runs: replacements.count, tileWidth: nil)
        var losses = TokenLosses(
            statistics, isFirst: CorpusBatches.firstTokenFlags(batch), spliced: 1, zero: zero, mean: mean)
        losses.included = included
        losses.seedBatch = CorpusBatches.seedAblationBatches(batch)
        state.downstream.add(losses)
    }
}
