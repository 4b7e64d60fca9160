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

/// The loss effects of a set of examples, run window by window: one forward to the hook (and one to the final
/// residual) per model window, then one suffix pass over all of that window's examples at once (each example a
/// variant of the window with its own position ablated, stacked row-wise), and one fused LM head over the rows that
/// each example can change (its position to the end of its shown context).
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
        guard let rowBudget else { return (requests, 0) }
        var used = 0
        for (index, request) in requests.enumerated() {
            let position = Int(database.token(request.row).position)
            let text = database.textRows(containing: request.row)
            let start = request.row - position % context
            let last = min(request.row + radius, min(start + context, text.upperBound) - 1)
            used += last - start + 1
            if used > rowBudget { return (Array(requests[..<index]), requests.count - index) }
        }
        return (requests, 0)
    }

    /// Whether a change at `hook` reaches the logits directly through the residual stream (so the direct path is
    /// the final residual minus the change).
    public static func writesResidual(_ hook: Hook) -> Bool {
        hook.point.isResidual || hook.point == .attnOut || hook.point == .mlpOut
    }

    /// Computes every request's effect. `context` is the run's model window (`--ctx`): a text's windows start at
    /// multiples of it, and a prediction is only followed within the example's window; `radius` is the context radius
    /// of the examples (effects are computed up to `radius` tokens after the example). `maximumRows` bounds one
    /// stacked suffix pass (variants · window tokens).
    public init(
        requests: [Request], database: ActivationDatabase, model: any LanguageModel, hook: Hook,
        sae: SparseAutoencoder, context: Int, radius: Int, maximumRows: Int = 8192
    ) throws {
        struct Placed {
            var request: Request
            var last: Int
        }
        var windows: [Int: [Placed]] = [:]
        for request in requests {
            let token = database.token(request.row)
            let text = database.textRows(containing: request.row)
            let start = request.row - Int(token.position) % context
            let end = min(start + context, text.upperBound)
            windows[start, default: []].append(Placed(request: request, last: min(request.row + radius, end - 1)))
        }
        let direct = Self.writesResidual(hook)
        let finalHook = Hook(layer: model.layerCount - 1, point: .residPost)
        for start in windows.keys.sorted() {
            let placed = windows[start]!.sorted { ($0.request.row, $0.request.feature) < ($1.request.row, $1.request.feature) }
            let end = placed.map(\.last).max()! + 1
            var batch = PackedBatch()
            batch.append((start..<end).map { database.token($0).tokenID }[...], text: 0, start: 0)
            let n = batch.tokenCount
            let capture = try model.forward(batch, stopAt: hook)
            let final = direct ? (hook == finalHook ? capture : try model.forward(batch, stopAt: finalHook)) : nil
            forwardTokens += n
            let perPass = max(1, maximumRows / n - 1)
            for chunkStart in stride(from: 0, to: placed.count, by: perPass) {
                let chunk = Array(placed[chunkStart..<min(placed.count, chunkStart + perPass)])
                try run(
                    chunk.map { ($0.request, $0.request.row - start, $0.last - start) }, batch: batch, capture: capture,
                    final: final, model: model, sae: sae)
                suffixTokens += n * (1 + chunk.count)
            }
        }
    }

    /// One stacked suffix pass for `examples` of one window: (request, its row in the batch, the last row whose
    /// token it can change).
    private mutating func run(
        _ examples: [(request: Request, row: Int, last: Int)], batch: PackedBatch, capture: HookCapture,
        final: HookCapture?, model: any LanguageModel, sae: SparseAutoencoder
    ) throws {
        let n = batch.tokenCount, width = capture.activations.width
        let contributions = examples.map { Self.contribution(of: $0.request, at: $0.row, in: capture.activations, sae: sae) }
        func ablated(_ source: Activations, _ index: Int) -> Activations {
            var copy = source
            let row = examples[index].row
            for j in 0..<width { copy.values[row * width + j] -= contributions[index][j] }
            return copy
        }
        let hidden = try model.continueForward(
            from: capture, replacements: [nil] + examples.indices.map { ablated(capture.activations, $0) }, batch: batch)
        let directHidden = try final.map { final in
            try model.continueForward(
                from: final, replacements: [nil] + examples.indices.map { ablated(final.activations, $0) }, batch: batch)
        }
        // The rows each example can change, as sequences of one batch for the fused head: reference (clean) rows,
        // the ablated variant's rows, and (direct path) the clean rows with the example's own row replaced.
        let d = model.hiddenSize
        var statsBatch = PackedBatch()
        var clean: [Float] = [], full: [Float] = [], directRows: [Float] = []
        func rows(_ h: Activations, run: Int, _ range: Range<Int>) -> ArraySlice<Float> {
            h.values[((run * n + range.lowerBound) * d)..<((run * n + range.upperBound) * d)]
        }
        var offsets: [Int] = []
        for (index, example) in examples.enumerated() {
            let range = example.row..<(example.last + 1)
            offsets.append(statsBatch.tokenCount)
            statsBatch.append(batch.tokens[range], text: index, start: 0)
            clean += rows(hidden, run: 0, range)
            full += rows(hidden, run: 1 + index, range)
            if let directHidden {
                directRows += rows(directHidden, run: 1 + index, example.row..<(example.row + 1))
                directRows += rows(hidden, run: 0, (example.row + 1)..<range.upperBound)
            }
        }
        let runs = directHidden == nil ? 2 : 3
        let stacked = clean + full + directRows
        let statistics = try model.nextTokenStatistics(
            batch: statsBatch, stackedHidden: Activations(rows: stacked.count / d, width: d, values: stacked), runs: runs,
            tileWidth: nil)
        for (index, example) in examples.enumerated() {
            let o = offsets[index], count = example.last - example.row
            let key = Key(feature: example.request.feature, row: example.request.row)
            effects[key] = ExampleLossEffect(
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
