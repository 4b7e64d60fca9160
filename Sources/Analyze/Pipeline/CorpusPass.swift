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
    private(set) var state: PassState
    private(set) var collector: ActivationCollector?

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
        encoder = try SAEEncoder(sae: inputs.sae, topKMode: inputs.topKMode, threshold: calibration.threshold)
        ablationBatches = options.pass.ablation == .none ? [] : Set(batches.evenlySpaced(tokens: options.pass.ablationTokens))
    }

    /// Runs batch `index` (from `capture`, its hook activations, when the calibration already computed them).
    func process(batch index: Int, capture: HookCapture?) throws {
        let batch = batches.batches[index]
        let t0 = Date()
        let capture = try capture ?? inputs.model.forward(batch, stopAt: inputs.hook)
        state.forwardSeconds += Date().timeIntervalSince(t0)
        let x = inputs.view.activations(capture.activations).values
        let isFirst = CorpusBatches.firstTokenFlags(batch)
        let codes = encoder.encode(x, rows: batch.tokenCount)
        let reconstructed = inputs.sae.decode(codes, denormalizing: x)
        state.sparsity.add(codes, isFirst: isFirst)
        state.reconstruction.add(original: x, reconstruction: reconstructed, isFirst: isFirst)
        if var collector {
            self.collector = nil  // keeps the collector uniquely referenced while it grows
            try collector.add(codes, tokens: batches.tokenRecords(batch))
            self.collector = collector
            state.rows = collector.writer.count
            state.nonzeros = collector.writer.nonzeros
        } else {
            state.rows += batch.tokenCount
        }
        if ablationBatches.contains(index) {
            let t1 = Date()
            try ablate(batch: batch, capture: capture, reconstruction: reconstructed, isFirst: isFirst)
            state.ablatedTokens += batch.tokenCount
            state.ablationSeconds += Date().timeIntervalSince(t1)
        }
        state.passSeconds += Date().timeIntervalSince(t0)
    }

    /// Forces the database columns to disk, so a checkpoint of `state` never points past what survives a crash.
    func synchronize() throws { try collector?.writer.synchronize() }

    /// Runs the suffix of the model from the hook once for the clean run and every patched variant, stacked into
    /// one pass, and feeds their next-token losses (the fused LM head: no `[rows, vocab]` logits) to the accumulator.
    private func ablate(batch: PackedBatch, capture: HookCapture, reconstruction: [Float], isFirst: [Bool]) throws {
        let model = inputs.model
        let n = batch.tokenCount, d = model.width(of: capture.hook)
        var replacements: [Activations?] = [nil, Activations(rows: n, width: d, values: reconstruction)]
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
        state.downstream.add(TokenLosses(statistics, isFirst: isFirst, spliced: 1, zero: zero, mean: mean))
    }
}
