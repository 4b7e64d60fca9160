import Foundation

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

    init(inputs: AnalysisInputs, batches: CorpusBatches, options: AnalysisOptions, calibration: Calibration,
         state: PassState, collector: ActivationCollector?) throws {
        self.inputs = inputs
        self.batches = batches
        self.options = options
        self.calibration = calibration
        self.state = state
        self.collector = collector
        encoder = try SAEEncoder(sae: inputs.sae, topKMode: inputs.topKMode, threshold: calibration.threshold)
        ablationBatches = options.ablation == .none ? [] : Set(batches.evenlySpaced(tokens: options.ablationTokens))
    }

    /// Runs batch `index` (from `capture`, its hook activations, when the calibration already computed them).
    func process(batch index: Int, capture: HookCapture?) throws {
        let batch = batches.batches[index]
        let t0 = Date()
        let capture = try capture ?? inputs.model.forward(batch, stopAt: inputs.hook)
        state.forwardSeconds += Date().timeIntervalSince(t0)
        let x = capture.activations.values
        let isFirst = CorpusBatches.firstTokenFlags(batch)
        let codes = encoder.encode(x, rows: batch.tokenCount)
        let reconstructed = inputs.sae.decode(codes)
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

    /// Runs the suffix of the model from the hook for each variant and feeds the next-token statistics,
    /// `chunkRows` positions of logits at a time.
    private func ablate(batch: PackedBatch, capture: HookCapture, reconstruction: [Float], isFirst: [Bool]) throws {
        let model = inputs.model
        let n = batch.tokenCount, d = model.config.hiddenSize, vocabulary = model.config.vocabSize
        func replaced(_ values: [Float]) -> HookCapture {
            var copy = capture
            copy.activations = Activations(rows: n, width: d, values: values)
            return copy
        }
        let clean = try model.continueForward(from: capture, batch: batch)
        let spliced = try model.continueForward(from: replaced(reconstruction), batch: batch)
        let wantsZero = options.ablation == .zero || options.ablation == .both
        // On a model without biases a zeroed residual stream stays exactly zero through every later block and the
        // final RMSNorm, so its logits are all zero: skip the suffix and use zero logits (same numbers, no FLOPs).
        let zeroIsUniform = wantsZero && Self.zeroResidualGivesZeroLogits(model.config, hook: capture.hook)
        let zero = wantsZero && !zeroIsUniform
            ? try model.continueForward(from: replaced([Float](repeating: 0, count: n * d)), batch: batch) : nil
        let meanAblated = options.ablation == .mean || options.ablation == .both
            ? try model.continueForward(from: replaced((0..<n).flatMap { _ in calibration.mean }), batch: batch) : nil

        var targets = [Int32](repeating: -1, count: n)
        for sequence in batch.sequences {
            for row in sequence.rows.dropLast() { targets[row] = batch.tokens[row + 1] }
        }
        let chunkRows = max(8, min(256, (64 << 20) / (vocabulary * 4)))
        for start in stride(from: 0, to: n, by: chunkRows) {
            let rows = start..<min(start + chunkRows, n)
            func logits(_ hidden: Activations?) -> [Float]? {
                guard let hidden else { return nil }
                return [Float](unsafeUninitializedCapacity: rows.count * vocabulary) { buffer, count in
                    model.logits(hidden, rows: rows, into: buffer)
                    count = rows.count * vocabulary
                }
            }
            let zeroLogits = zeroIsUniform ? [Float](repeating: 0, count: rows.count * vocabulary) : logits(zero)
            state.downstream.add(LogitBatch(clean: logits(clean)!, spliced: logits(spliced)!, zeroAblated: zeroLogits,
                                            meanAblated: logits(meanAblated), targets: Array(targets[rows]),
                                            isFirst: Array(isFirst[rows])),
                                 endsBatch: rows.upperBound == n)
        }
    }

    /// Whether replacing the residual stream at `hook` by zeros gives all-zero logits: true for residual hooks of
    /// models without attention biases (RMSNorm(0) = 0, bias-free projections of 0 are 0, SiLU(0)·0 = 0).
    static func zeroResidualGivesZeroLogits(_ config: Qwen3Config, hook: Hook) -> Bool {
        guard !config.attentionBias else { return false }
        switch hook.point {
        case .residPre, .residMid, .residPost: return true
        case .attnOut, .mlpOut: return false
        }
    }
}
