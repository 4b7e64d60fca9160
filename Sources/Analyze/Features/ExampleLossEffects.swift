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
/// the batch, then one suffix pass over stacked variants of it, variant v removing every window's v-th example at
/// once (the windows are separate sequences), and one fused LM head over the rows that each example can change (its
/// position to the end of its context).
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
    /// of the examples (effects are computed up to `radius` tokens after the example). `maximumRows` bounds one
    /// stacked suffix pass (variants · batch tokens).
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
        // Entries: a window's rows with at most `perEntry` of its examples (a window with more becomes several).
        var entries: [Entry] = []
        for start in windows.keys.sorted() {
            let placed = windows[start]!.sorted { ($0.request.row, $0.request.feature) < ($1.request.row, $1.request.feature) }
            let n = placed.map(\.last).max()! + 1 - start
            let perEntry = max(1, maximumRows / n - 1)
            for first in stride(from: 0, to: placed.count, by: perEntry) {
                let chunk = Array(placed[first..<min(placed.count, first + perEntry)])
                entries.append(Entry(start: start, end: chunk.map(\.last).max()! + 1, examples: chunk))
            }
        }
        // Batches of entries whose stacked suffix pass, (1 + most examples of an entry) · rows, fits `maximumRows`;
        // entries with as many examples side by side, so that few variants are run on entries with fewer.
        entries.sort { ($0.examples.count, $0.start) > ($1.examples.count, $1.start) }
        var batch: [Entry] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            try run(batch, database: database, model: model, hook: hook, sae: sae)
            batch = []
        }
        for entry in entries {
            let rows = batch.map(\.rowCount).reduce(entry.rowCount, +)
            let variants = batch.map(\.examples.count).reduce(entry.examples.count, max)
            if !batch.isEmpty && rows * (1 + variants) > maximumRows { try flush() }
            batch.append(entry)
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
        var rowCount: Int { end - start }
    }

    /// One stacked pass for a batch of entries, each its own sequence: variant v removes, in every entry at once, the
    /// feature of that entry's v-th example at its row (entries are independent sequences, so their ablations do not
    /// meet); then the fused LM head over the rows each example can change.
    private mutating func run(
        _ entries: [Entry], database: ActivationDatabase, model: any LanguageModel, hook: Hook, sae: SparseAutoencoder
    ) throws {
        var batch = PackedBatch()
        var offsets: [Int] = []
        for (index, entry) in entries.enumerated() {
            offsets.append(batch.tokenCount)
            batch.append((entry.start..<entry.end).map { database.token($0).tokenID }[...], text: index, start: 0)
        }
        let n = batch.tokenCount, d = model.hiddenSize
        let capture = try model.forward(batch, stopAt: hook)
        let finalHook = Hook(layer: model.layerCount - 1, point: .residPost)
        let final = Self.writesResidual(hook) ? (hook == finalHook ? capture : try model.forward(batch, stopAt: finalHook)) : nil
        forwardTokens += n
        let variantCount = entries.map(\.examples.count).max()!
        // (entry, example index) → its batch row and its contribution at the hook.
        let width = capture.activations.width
        var contributions: [[[Float]]] = entries.indices.map { e in
            entries[e].examples.map { example in
                Self.contribution(of: example.request, at: offsets[e] + example.request.row - entries[e].start, in: capture.activations, sae: sae)
            }
        }
        func variant(_ source: Activations, _ v: Int) -> Activations {
            var copy = source
            for (e, entry) in entries.enumerated() where v < entry.examples.count {
                let row = offsets[e] + entry.examples[v].request.row - entry.start
                for j in 0..<width { copy.values[row * width + j] -= contributions[e][v][j] }
            }
            return copy
        }
        let hidden = try model.continueForward(
            from: capture, replacements: [nil] + (0..<variantCount).map { variant(capture.activations, $0) }, batch: batch)
        suffixTokens += n * (1 + variantCount)
        let directHidden = try final.map { final in
            try model.continueForward(
                from: final, replacements: [nil] + (0..<variantCount).map { variant(final.activations, $0) }, batch: batch)
        }
        contributions = []
        // Per example, the rows it can change, as one sequence of the head's batch: the clean rows (reference), the
        // ablated variant's rows, and (direct path) the clean rows with the example's own row from the direct run.
        var statsBatch = PackedBatch()
        var clean: [Float] = [], full: [Float] = [], directRows: [Float] = []
        func rows(_ h: Activations, run: Int, _ range: Range<Int>) -> ArraySlice<Float> {
            h.values[((run * n + range.lowerBound) * d)..<((run * n + range.upperBound) * d)]
        }
        var placed: [(example: Placed, offset: Int)] = []
        for (e, entry) in entries.enumerated() {
            for (v, example) in entry.examples.enumerated() {
                let row = offsets[e] + example.request.row - entry.start, last = offsets[e] + example.last - entry.start
                placed.append((example, statsBatch.tokenCount))
                statsBatch.append(batch.tokens[row...last], text: placed.count, start: 0)
                clean += rows(hidden, run: 0, row..<(last + 1))
                full += rows(hidden, run: 1 + v, row..<(last + 1))
                if let directHidden {
                    directRows += rows(directHidden, run: 1 + v, row..<(row + 1))
                    directRows += rows(hidden, run: 0, (row + 1)..<(last + 1))
                }
            }
        }
        let runs = directHidden == nil ? 2 : 3
        let stacked = clean + full + directRows
        let statistics = try model.nextTokenStatistics(
            batch: statsBatch, stackedHidden: Activations(rows: stacked.count / d, width: d, values: stacked), runs: runs,
            tileWidth: nil)
        for (example, o) in placed {
            let count = example.last - example.request.row
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
