import Formats
import Foundation
import LMRuntime
import SAECore

/// What removing a feature at one of its examples does to the model's predictions there and after.
public struct ExampleLossEffect: Equatable, Sendable {
    /// The example's database row p, where `f_i · W_dec[i]` is subtracted from the hook activation (the rest of the
    /// activation, SAE error included, stays: only the feature's own contribution is removed).
    public var row: Int
    /// At rows p, p+1, … (the prediction of the token after each, within the example's context and model window):
    /// −log p_ablated(next) − (−log p_clean(next)), the later blocks rerun. Positive: the feature helped.
    public var deltaLoss: [Double]
    /// KL(p_clean ‖ p_ablated) in nats at the same rows.
    public var klDivergence: [Double]
    /// The direct path at row p only: the final residual minus the feature's contribution, through the final norm and
    /// the unembedding (no block reruns). nil when the hook does not write to the residual stream.
    public var directDeltaLoss: Double?
    public var directKL: Double?
}

/// The loss effects of a set of examples, many model windows at a time: the windows (each up to the end of its
/// examples' contexts) packed as sequences of one batch, one forward to the hook (and one to the final residual) for
/// the batch; then one suffix pass over a batch of ablated sequences, one per example, each its window's rows up to
/// the end of that example's context with the feature removed at its row (a causal model's earlier rows cannot see the
/// change, and later ones are not reported); the clean run's final hidden states come from the final residual (only
/// the final norm to run) when the hook writes to the residual stream; and one fused LM head over the rows that each
/// example can change (its position to the end of its context).
public struct ExampleLossEffects: Sendable {
    public struct Request: Hashable, Sendable {
        public var feature: Int
        public var row: Int
        /// The feature's activation at `row` (from the database).
        public var activation: Float

        public init(feature: Int, row: Int, activation: Float) {
            (self.feature, self.row, self.activation) = (feature, row, activation)
        }
    }

    public struct Key: Hashable, Sendable {
        public var feature: Int
        public var row: Int

        public init(feature: Int, row: Int) { (self.feature, self.row) = (feature, row) }
    }

    public var effects: [Key: ExampleLossEffect] = [:]
    /// Requests left out by the row budget (see `selection`).
    public var skipped = 0
    /// Tokens run through the model (hook forward, suffix variants), for the cost report.
    public var forwardTokens = 0
    public var suffixTokens = 0

    /// The requests that fit in `rowBudget` rows, taken in order (each costs its model window's rows up to the end of
    /// its context), stopping at the first that does not fit; and how many were left out.
    public static func selection(
        _ requests: [Request], database: ActivationDatabase, context: Int, radius: Int, rowBudget: Int?
    ) -> (chosen: [Request], skipped: Int) {
        // An example whose model window the database does not hold whole cannot be rerun.
        let runnable = requests.compactMap { request in
            modelWindow(of: request.row, database: database, context: context).map { (request, $0) }
        }
        var used = 0
        for (index, (request, window)) in runnable.enumerated() {
            guard let rowBudget else { break }
            used += min(request.row + radius, window.upperBound - 1) - window.lowerBound + 1
            if used > rowBudget { return (runnable[..<index].map(\.0), requests.count - index) }
        }
        return (runnable.map(\.0), requests.count - runnable.count)
    }

    /// The database rows of the model window (`--ctx`) that holds `row`, from the window's start to the text's end or
    /// the window's, or nil when the database lacks some of its positions: those left out of the pass (special tokens,
    /// `--ignore-high-norm`) are not stored, so the model's input cannot be rebuilt there.
    static func modelWindow(of row: Int, database: ActivationDatabase, context: Int) -> Range<Int>? {
        let position = Int(database.token(row).position)
        let text = database.textRows(containing: row)
        let start = row - position % context
        guard start >= text.lowerBound, database.token(start).position == position - position % context else { return nil }
        let end = min(start + context, text.upperBound)
        guard Int(database.token(end - 1).position) - Int(database.token(start).position) == end - 1 - start else { return nil }
        return start..<end
    }

    /// Whether a change at `hook` reaches the logits directly through the residual stream (so the direct path is
    /// the final residual minus the change).
    public static func writesResidual(_ hook: Hook) -> Bool {
        hook.point.isResidual || hook.point == .attnOut || hook.point == .mlpOut
    }

    /// Computes every request's effect. `context` is the run's model window (`--ctx`): a text's windows start at
    /// multiples of it, and a prediction is only followed within the example's window; `radius` is the context radius
    /// of the examples (effects are computed up to `radius` tokens after the example). `maximumRows` bounds the rows of
    /// one batch's passes (its clean windows, and its examples' ablated sequences).
    public init(
        requests: [Request], database: ActivationDatabase, model: any LanguageModel, hook: Hook,
        sae: SparseAutoencoder, context: Int, radius: Int, maximumRows: Int = 8192
    ) throws {
        var windows: [Int: [Placed]] = [:]
        for request in requests {
            guard let window = Self.modelWindow(of: request.row, database: database, context: context) else { continue }
            windows[window.lowerBound, default: []].append(
                Placed(request: request, last: min(request.row + radius, window.upperBound - 1)))
        }
        // Batches of windows and their examples: each example costs its ablated sequence (its window's rows up to
        // its `last`), and the batch's clean windows are run once; a batch stays within `maximumRows` of both (a
        // window whose examples need more is split over batches).
        var batch: [Entry] = []
        var rows = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            try run(batch, database: database, model: model, hook: hook, sae: sae)
            (batch, rows) = ([], 0)
        }
        for start in windows.keys.sorted() {
            let placed = windows[start]!.sorted { ($0.request.row, $0.request.feature) < ($1.request.row, $1.request.feature) }
            var open = false  // whether the batch's last entry is this window's
            for example in placed {
                // The example's ablated sequence, and the rows it adds to its window's clean run.
                func cost() -> Int { (example.last + 1 - start) + max(0, example.last + 1 - (open ? batch[batch.count - 1].end : start)) }
                if !batch.isEmpty && rows + cost() > maximumRows {
                    try flush()
                    open = false
                }
                rows += cost()
                if !open {
                    batch.append(Entry(start: start, end: start, examples: []))
                    open = true
                }
                batch[batch.count - 1].examples.append(example)
                batch[batch.count - 1].end = max(batch[batch.count - 1].end, example.last + 1)
            }
        }
        try flush()
    }

    private struct Placed {
        var request: Request
        /// The last row whose token removing the feature at `request.row` can change (within the context).
        var last: Int
    }

    /// Rows `start..<end` of one model window (from its start) and some of its examples.
    private struct Entry {
        var start: Int
        var end: Int
        var examples: [Placed]
    }

    /// The passes for a batch of entries, each window its own sequence (see the type's comment).
    private mutating func run(
        _ entries: [Entry], database: ActivationDatabase, model: any LanguageModel, hook: Hook, sae: SparseAutoencoder
    ) throws {
        var batch = PackedBatch()
        // Each example's rows in `batch`: its window's first row, its own row and the last row it can change.
        var examples: [(request: Request, first: Int, row: Int, last: Int)] = []
        for (index, entry) in entries.enumerated() {
            let offset = batch.tokenCount
            batch.append((entry.start..<entry.end).map { database.token($0).tokenID }[...], text: index, start: 0)
            for example in entry.examples {
                examples.append(
                    (example.request, offset, offset + example.request.row - entry.start, offset + example.last - entry.start))
            }
        }
        let n = batch.tokenCount, d = model.hiddenSize
        let capture = try model.forward(batch, stopAt: hook)
        let finalHook = Hook(layer: model.layerCount - 1, point: .residPost)
        let final = Self.writesResidual(hook) ? (hook == finalHook ? capture : try model.forward(batch, stopAt: finalHook)) : nil
        forwardTokens += n
        let contributions = examples.map { Self.contribution(of: $0.request, at: $0.row, in: capture.activations, sae: sae) }
        func subtract(_ contribution: [Float], row: Int, in activations: inout Activations) {
            for j in 0..<activations.width { activations.values[row * activations.width + j] -= contribution[j] }
        }
        // The ablated runs: per example, its window's rows up to its last, as a sequence of its own.
        var ablatedBatch = PackedBatch()
        var gathered: [Int] = []
        var ablatedRows: [Int] = []  // each example's row in `ablatedBatch`
        for (k, example) in examples.enumerated() {
            ablatedRows.append(ablatedBatch.tokenCount + example.row - example.first)
            ablatedBatch.append(batch.tokens[example.first...example.last], text: k, start: 0)
            gathered += example.first...example.last
        }
        var ablated = capture.gathering(rows: gathered)
        for k in examples.indices { subtract(contributions[k], row: ablatedRows[k], in: &ablated.activations) }
        let hidden = try model.continueForward(from: ablated, replacements: [nil], batch: ablatedBatch)
        suffixTokens += ablatedBatch.tokenCount
        let clean = try model.continueForward(from: final ?? capture, replacements: [nil], batch: batch)
        if final == nil { suffixTokens += n }
        // The direct path: each example's final residual without the feature's contribution, through the final norm
        // (one-row sequences: no block runs after the final residual).
        let direct = try final.map { final in
            var rows = final.gathering(rows: examples.map(\.row))
            var rowBatch = PackedBatch()
            for (k, example) in examples.enumerated() {
                subtract(contributions[k], row: k, in: &rows.activations)
                rowBatch.append(batch.tokens[example.row...example.row], text: k, start: 0)
            }
            return try model.continueForward(from: rows, replacements: [nil], batch: rowBatch)
        }
        // Per example, the rows it can change, as one sequence of the head's batch: the clean rows (reference), the
        // ablated run's rows, and (direct path) the clean rows with the example's own row from the direct run.
        var statsBatch = PackedBatch()
        var cleanRows: [Float] = [], fullRows: [Float] = [], directRows: [Float] = []
        var offsets: [Int] = []
        for (k, example) in examples.enumerated() {
            offsets.append(statsBatch.tokenCount)
            statsBatch.append(batch.tokens[example.row...example.last], text: k, start: 0)
            cleanRows += clean.values[(example.row * d)..<((example.last + 1) * d)]
            fullRows += hidden.values[(ablatedRows[k] * d)..<((ablatedRows[k] + example.last - example.row + 1) * d)]
            if let direct {
                directRows += direct[row: k]
                directRows += clean.values[((example.row + 1) * d)..<((example.last + 1) * d)]
            }
        }
        let runs = direct == nil ? 2 : 3
        let stacked = cleanRows + fullRows + directRows
        let statistics = try model.nextTokenStatistics(
            batch: statsBatch, stackedHidden: Activations(rows: stacked.count / d, width: d, values: stacked), runs: runs,
            tileWidth: nil)
        for (k, example) in examples.enumerated() {
            let count = example.last - example.row, o = offsets[k]
            effects[Key(feature: example.request.feature, row: example.request.row)] = ExampleLossEffect(
                row: example.request.row,
                deltaLoss: (0..<count).map { statistics.loss[1][o + $0] - statistics.loss[0][o + $0] },
                klDivergence: (0..<count).map { statistics.klDivergence[0][o + $0] },
                directDeltaLoss: runs == 3 && count > 0 ? statistics.loss[2][o] - statistics.loss[0][o] : nil,
                directKL: runs == 3 && count > 0 ? statistics.klDivergence[1][o] : nil)
        }
    }

    /// The feature's own part of the SAE's output at one row, `f_i · W_dec[i]` in the hook's units (through the SAE's
    /// per-token output scaling when it has one; the decoder bias and any shift cancel).
    static func contribution(of request: Request, at row: Int, in activations: Activations, sae: SparseAutoencoder) -> [Float] {
        let x = Array(activations[row: row])
        let with = sae.decode(
            SparseCodes(dSae: sae.dSae, rowStarts: [0, 1], features: [Int32(request.feature)], values: [request.activation]),
            denormalizing: x, path: .sparse)
        let without = sae.decode(
            SparseCodes(dSae: sae.dSae, rowStarts: [0, 0], features: [], values: []), denormalizing: x, path: .sparse)
        return zip(with, without).map { $0 - $1 }
    }
}
