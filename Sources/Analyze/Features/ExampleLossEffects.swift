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
/// as sequences of one batch, one forward to the hook (and one to the final residual) for
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
    /// (effects are computed up to `radius` database rows after the example). `maximumRows` bounds one stacked suffix
    /// pass (variants · batch tokens).
    public init(
        requests: [Request], database: ActivationDatabase, windows: PassWindows, model: any LanguageModel, hook: Hook,
        sae: SparseAutoencoder, radius: Int, maximumRows: Int = 8192
    ) throws {
        var byWindow: [WindowKey: [Placed]] = [:]
        for request in requests {
            guard let placed = Placed(request, database: database, windows: windows, radius: radius) else { continue }
            byWindow[WindowKey(text: placed.text, start: placed.window.lowerBound), default: []].append(placed)
        }
        // Entries: a window's positions with at most `perEntry` of its examples (a window with more becomes several).
        var entries: [Entry] = []
        for key in byWindow.keys.sorted(by: { ($0.text, $0.start) < ($1.text, $1.start) }) {
            let placed = byWindow[key]!.sorted { ($0.request.row, $0.request.feature) < ($1.request.row, $1.request.feature) }
            let ids = windows.texts[key.text]!
            let n = placed.map(\.last).max()! + 1 - key.start
            let perEntry = max(1, maximumRows / n - 1)
            for first in stride(from: 0, to: placed.count, by: perEntry) {
                let chunk = Array(placed[first..<min(placed.count, first + perEntry)])
                entries.append(Entry(tokens: ids[key.start...chunk.map(\.last).max()!], examples: chunk))
            }
        }
        // Batches of entries whose stacked suffix pass, (1 + most examples of an entry) · rows, fits `maximumRows`;
        // entries with as many examples side by side, so that few variants are run on entries with fewer.
        entries.sort { ($0.examples.count, $0.examples[0].text, $0.start) > ($1.examples.count, $1.examples[0].text, $1.start) }
        var batch: [Entry] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            try run(batch, model: model, hook: hook, sae: sae)
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

    /// One stacked pass for a batch of entries, each its own sequence: variant v removes, in every entry at once, the
    /// feature of that entry's v-th example at its row (entries are independent sequences, so their ablations do not
    /// meet); then the fused LM head over the rows each example can change.
    private mutating func run(_ entries: [Entry], model: any LanguageModel, hook: Hook, sae: SparseAutoencoder) throws {
        var batch = PackedBatch()
        var offsets: [Int] = []
        for (index, entry) in entries.enumerated() {
            offsets.append(batch.tokenCount)
            batch.append(entry.tokens, text: index, start: 0)
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
                Self.contribution(of: example.request, at: offsets[e] + example.position - entries[e].start, in: capture.activations, sae: sae)
            }
        }
        func variant(_ source: Activations, _ v: Int) -> Activations {
            var copy = source
            for (e, entry) in entries.enumerated() where v < entry.examples.count {
                let row = offsets[e] + entry.examples[v].position - entry.start
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
                let row = offsets[e] + example.position - entry.start, last = offsets[e] + example.last - entry.start
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
            // The prediction of the token at position q was made at q − 1: element q − p − 1 of the example's sequence.
            let predictions = example.laterPositions.map { o + $0 - example.position - 1 }
            let direct = runs == 3 && example.laterPositions.first == example.position + 1
            effects[Key(feature: example.request.feature, row: example.request.row)] = ExampleLossEffect(
                row: example.request.row,
                deltaLoss: predictions.map { statistics.loss[1][$0] - statistics.loss[0][$0] },
                klDivergence: predictions.map { statistics.klDivergence[0][$0] },
                directDeltaLoss: direct ? statistics.loss[2][o] - statistics.loss[0][o] : nil,
                directKL: direct ? statistics.klDivergence[1][o] : nil)
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
