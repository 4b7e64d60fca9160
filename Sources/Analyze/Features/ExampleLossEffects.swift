import Formats
import Foundation
import LMRuntime
import SAECore

/// What removing a feature at one of its examples does to the model's predictions there and after.
public struct ExampleLossEffect: Equatable, Sendable {
    /// The example's database row p, where `f_i · W_dec[i]` is subtracted from the hook activation (the rest of the
    /// activation, SAE error included, stays: only the feature's own contribution is removed).
    public var row: Int
    /// At the database rows p+1, p+2, … (within the example's context and model window), element i for row p+1+i:
    /// the prediction of that row's token, made at the position before it, −log p_ablated − (−log p_clean), the later
    /// blocks rerun. Positive: the feature helped. (A left-out position between two rows is run, not reported.)
    public var deltaLoss: [Double]
    /// KL(p_clean ‖ p_ablated) in nats at the same predictions.
    public var klDivergence: [Double]
    /// The direct path at row p only: the final residual minus the feature's contribution, through the final norm and
    /// the unembedding (no block reruns), for the token of row p+1. nil when the hook does not write to the residual
    /// stream, or row p+1 is not the next position.
    public var directDeltaLoss: Double?
    public var directKL: Double?
}

/// The loss effects of a set of examples, many model windows at a time: the windows, rebuilt as the pass ran them
/// (`PassWindows`: BOS and other left-out positions included), each up to the end of its examples' contexts, packed
/// as sequences of one batch, and one forward to the hook for the batch; then one pass on from the hook to the final
/// residual over the clean windows together with one ablated sequence per example: the example's positions from its
/// own to the end of its context, with the feature removed at its own, continuing its window's clean positions before
/// it (`PackedBatch.Sequence.prefix`: their keys and values come from the clean rows of the same pass, as a causal
/// model's earlier positions cannot see the change; later ones are not reported); and one fused LM head, after the
/// final norm, over the rows that each example can change (its position to the end of its context).
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
    /// Requests left out by the row budget, or because their window could not be rebuilt (see `selection`).
    public var skipped = 0
    /// Tokens run through the model (hook forward, suffix variants), for the cost report.
    public var forwardTokens = 0
    public var suffixTokens = 0

    /// The requests that fit in `rowBudget` rows, taken in order (each costs its model window's rows up to the end of
    /// its context), stopping at the first that does not fit; and how many were left out (also those whose window
    /// `windows` cannot rebuild).
    public static func selection(
        _ requests: [Request], database: ActivationDatabase, windows: PassWindows, radius: Int, rowBudget: Int?
    ) -> (chosen: [Request], skipped: Int) {
        let runnable = requests.compactMap { request in
            Placed(request, database: database, windows: windows, radius: radius).map { (request, $0) }
        }
        var used = 0
        for (index, (_, placed)) in runnable.enumerated() {
            guard let rowBudget else { break }
            used += placed.last - placed.window.lowerBound + 1
            if used > rowBudget { return (runnable[..<index].map(\.0), requests.count - index) }
        }
        return (runnable.map(\.0), requests.count - runnable.count)
    }

    /// Whether a change at `hook` reaches the logits directly through the residual stream (so the direct path is
    /// the final residual minus the change).
    public static func writesResidual(_ hook: Hook) -> Bool {
        hook.point.isResidual || hook.point == .attnOut || hook.point == .mlpOut
    }

    /// Computes every request's effect (a request whose window `windows` cannot rebuild is left out). `windows` holds
    /// the examples' texts as the pass ran them: a text's model windows start at multiples of its `context`, and a
    /// prediction is only followed within the example's window; `radius` is the context radius of the examples
    /// (effects are computed up to `radius` database rows after the example). `maximumRows` bounds the rows of one
    /// batch's passes (its clean windows, and its examples' ablated sequences). `captures` gives, where it has them,
    /// the hook activations of a text's tokens (ids at their positions, from the start of their model window) as the
    /// pass computed them; a batch of windows that it has all of runs no forward to the hook.
    public init(
        requests: [Request], database: ActivationDatabase, windows: PassWindows, model: any LanguageModel, hook: Hook,
        sae: SparseAutoencoder, radius: Int, maximumRows: Int = 8192,
        captures: (_ text: Int, _ tokens: ArraySlice<Int32>) -> HookCapture? = { _, _ in nil }
    ) throws {
        var byWindow: [WindowKey: [Placed]] = [:]
        for request in requests {
            guard let placed = Placed(request, database: database, windows: windows, radius: radius) else { continue }
            byWindow[WindowKey(text: placed.text, start: placed.window.lowerBound), default: []].append(placed)
        }
        // Entries: a window's positions with at most `perEntry` of its examples (a window with more becomes several);
        // an example's ablated sequence has at most radius + 1 rows.
        var entries: [Entry] = []
        for key in byWindow.keys.sorted(by: { ($0.text, $0.start) < ($1.text, $1.start) }) {
            let placed = byWindow[key]!.sorted { ($0.request.row, $0.request.feature) < ($1.request.row, $1.request.feature) }
            let ids = windows.texts[key.text]!
            let n = placed.map(\.last).max()! + 1 - key.start
            let perEntry = max(1, (maximumRows - n) / (radius + 1))
            for first in stride(from: 0, to: placed.count, by: perEntry) {
                let chunk = Array(placed[first..<min(placed.count, first + perEntry)])
                entries.append(Entry(tokens: ids[key.start...chunk.map(\.last).max()!], examples: chunk))
            }
        }
        // Batches of entries whose passes fit `maximumRows`: the clean windows plus one ablated sequence per example
        // (its positions from its own to its last; `perEntry` keeps one entry's within the bound).
        entries.sort { ($0.examples[0].text, $0.start) < ($1.examples[0].text, $1.start) }
        var batch: [Entry] = []
        var rows = 0
        func flush() throws {
            guard !batch.isEmpty else { return }
            try run(batch, model: model, hook: hook, sae: sae, captures: captures)
            (batch, rows) = ([], 0)
        }
        for entry in entries {
            let cost = entry.rowCount + entry.examples.map { $0.last + 1 - $0.position }.reduce(0, +)
            if !batch.isEmpty && rows + cost > maximumRows { try flush() }
            batch.append(entry)
            rows += cost
        }
        try flush()
    }

    private struct WindowKey: Hashable {
        var text: Int
        var start: Int
    }

    /// Where a request is rerun: its text, the positions of its model window, its own position, and the database rows
    /// after it (within the context radius and the window) whose predictions it can change.
    private struct Placed {
        var request: Request
        var text: Int
        var window: Range<Int>
        var position: Int
        /// The positions of the rows `request.row + 1, …` that are reported.
        var laterPositions: [Int]
        /// The last position the rerun needs (that of the last reported row, or the example's own).
        var last: Int { laterPositions.last ?? position }

        /// nil when `windows` lacks the text, or its ids differ from the database's at a stored position of the window
        /// (the corpus no longer tokenizes as the pass ran it).
        init?(_ request: Request, database: ActivationDatabase, windows: PassWindows, radius: Int) {
            let token = database.token(request.row)
            (self.request, text, position) = (request, Int(token.textIndex), Int(token.position))
            guard let window = windows.window(text: text, position: position), let ids = windows.texts[text] else { return nil }
            self.window = window
            let rows = database.textRows(containing: request.row)
            func stored(_ row: Int) -> Bool? {
                let token = database.token(row), position = Int(token.position)
                guard window.contains(position) else { return nil }
                return ids[position] == token.tokenID
            }
            var row = request.row
            while row >= rows.lowerBound, let matches = stored(row) {
                guard matches else { return nil }
                row -= 1
            }
            laterPositions = []
            row = request.row + 1
            while row < min(rows.upperBound, request.row + radius + 1), let matches = stored(row) {
                guard matches else { return nil }
                laterPositions.append(Int(database.token(row).position))
                row += 1
            }
        }
    }

    /// The pass's ids of one model window from its start up to the last position its examples need, and the examples.
    private struct Entry {
        var tokens: ArraySlice<Int32>
        var examples: [Placed]
        var start: Int { tokens.startIndex }
        var rowCount: Int { tokens.count }
    }

    /// The passes for a batch of entries (see the type's comment).
    private mutating func run(
        _ entries: [Entry], model: any LanguageModel, hook: Hook, sae: SparseAutoencoder,
        captures: (Int, ArraySlice<Int32>) -> HookCapture?
    ) throws {
        var batch = PackedBatch()
        // Each example's rows in `batch`: its window's first row, its own row and the last row it can change.
        var examples: [(placed: Placed, first: Int, row: Int, last: Int)] = []
        for (index, entry) in entries.enumerated() {
            let offset = batch.tokenCount
            batch.append(entry.tokens, text: index, start: 0)
            for example in entry.examples {
                examples.append((example, offset, offset + example.position - entry.start, offset + example.last - entry.start))
            }
        }
        let n = batch.tokenCount
        let kept = entries.compactMap { captures($0.examples[0].text, $0.tokens) }
        let capture: HookCapture
        if kept.count == entries.count {
            capture = HookCapture.concatenating(kept)
        } else {
            capture = try model.forward(batch, stopAt: hook)
            forwardTokens += n
        }
        let contributions = examples.map { Self.contribution(of: $0.placed.request, at: $0.row, in: capture.activations, sae: sae) }
        func subtract(_ contribution: [Float], row: Int, in activations: inout Activations) {
            for j in 0..<activations.width { activations.values[row * activations.width + j] -= contribution[j] }
        }
        // One pass on from the hook: the clean windows, then per example its rows from its own to its last with the
        // feature removed at its own, as a sequence that continues its window's clean rows before it.
        var combined = batch
        var gathered = Array(0..<n)
        var ablatedRows: [Int] = []  // each example's own row in `combined`
        for (k, example) in examples.enumerated() {
            ablatedRows.append(combined.tokenCount)
            combined.append(
                batch.tokens[example.row...example.last], text: entries.count + k, start: 0, continuing: example.first..<example.row)
            gathered += example.row...example.last
        }
        var start = capture.gathering(rows: gathered)
        for k in examples.indices { subtract(contributions[k], row: ablatedRows[k], in: &start.activations) }
        let finalHook = Hook(layer: model.layerCount - 1, point: .residPost)
        let final = hook == finalHook ? start : try model.continueForward(from: start, batch: combined, stopAt: finalHook)
        suffixTokens += combined.tokenCount
        // Per example, the rows it can change, as one sequence of the head's batch: the clean rows (reference), the
        // ablated run's rows, and (direct path, when the hook writes to the residual stream) the clean rows with the
        // example's own final residual less the feature's contribution; all through the final norm only.
        let direct = Self.writesResidual(hook)
        var statsBatch = PackedBatch()
        var cleanRows: [Int] = [], ablatedFinalRows: [Int] = [], directRows: [Int] = []
        var offsets: [Int] = []
        for (k, example) in examples.enumerated() {
            offsets.append(statsBatch.tokenCount)
            statsBatch.append(batch.tokens[example.row...example.last], text: k, start: 0)
            cleanRows += example.row...example.last
            ablatedFinalRows += ablatedRows[k]...(ablatedRows[k] + example.last - example.row)
            if direct { directRows += example.row...example.last }
        }
        let runs = direct ? 3 : 2
        var finalRows = final.gathering(rows: cleanRows + ablatedFinalRows + directRows)
        if direct {
            let first = cleanRows.count + ablatedFinalRows.count
            for k in examples.indices { subtract(contributions[k], row: first + offsets[k], in: &finalRows.activations) }
        }
        let hidden = try model.continueForward(from: finalRows, replacements: [nil], batch: statsBatch.repeated(runs))
        let statistics = try model.nextTokenStatistics(batch: statsBatch, stackedHidden: hidden, runs: runs, tileWidth: nil)
        for (k, example) in examples.map(\.placed).enumerated() {
            // The prediction of the token at position q was made at q − 1: element q − p − 1 of the example's sequence.
            let o = offsets[k]
            let predictions = example.laterPositions.map { o + $0 - example.position - 1 }
            let hasDirect = runs == 3 && example.laterPositions.first == example.position + 1
            effects[Key(feature: example.request.feature, row: example.request.row)] = ExampleLossEffect(
                row: example.request.row,
                deltaLoss: predictions.map { statistics.loss[1][$0] - statistics.loss[0][$0] },
                klDivergence: predictions.map { statistics.klDivergence[0][$0] },
                directDeltaLoss: hasDirect ? statistics.loss[2][o] - statistics.loss[0][o] : nil,
                directKL: hasDirect ? statistics.klDivergence[1][o] : nil)
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
