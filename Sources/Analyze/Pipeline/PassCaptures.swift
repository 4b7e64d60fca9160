import LMRuntime

/// The pass's hook activations of its first batches, up to a byte budget, so that the loss effects take their clean
/// windows' activations from here instead of running the model to the hook again. Which batches are kept depends on
/// the batches alone (the longest run of them from the start of the pass's range that fits), so an interrupted and
/// resumed run keeps the same ones (it runs those done before the interruption again, `CorpusPass.recapture`) and
/// writes the same loss effects, bit for bit.
struct PassCaptures {
    /// Enough for about 65,000 tokens of a 1024-wide residual stream.
    static let defaultByteBudget = 256 << 20

    private struct WindowKey: Hashable {
        var text: Int
        var start: Int
    }

    /// The batches kept.
    let kept: Range<Int>
    private var captures: [HookCapture] = []
    private var windows: [WindowKey: (capture: Int, rows: Range<Int>, tokens: ArraySlice<Int32>)] = [:]

    /// Keeps the batches of `range` from its start while their captures, `rowBytes` per token, fit `byteBudget`.
    init(batches: [PackedBatch], range: Range<Int>, rowBytes: Int, byteBudget: Int = Self.defaultByteBudget) {
        var end = range.lowerBound, bytes = 0
        while end < range.upperBound, bytes + batches[end].tokenCount * rowBytes <= byteBudget {
            bytes += batches[end].tokenCount * rowBytes
            end += 1
        }
        kept = range.lowerBound..<end
    }

    /// Keeps `capture` of batch `index`, `batch` (whose sequence texts index `textIndices`, the corpus indices), when
    /// it is one of the kept batches.
    mutating func keep(_ capture: HookCapture, batch index: Int, _ batch: PackedBatch, textIndices: [Int]) {
        guard kept.contains(index) else { return }
        captures.append(capture)
        for sequence in batch.sequences {
            windows[WindowKey(text: textIndices[sequence.text], start: sequence.start)] =
                (captures.count - 1, sequence.rows, batch.tokens[sequence.rows])
        }
    }

    /// The capture of corpus text `text` at the positions `tokens.indices`, whose ids are `tokens`, from the model
    /// window that starts at the first of them; nil when that window was not kept, or its ids differ.
    func capture(text: Int, tokens: ArraySlice<Int32>) -> HookCapture? {
        guard let (index, rows, ids) = windows[WindowKey(text: text, start: tokens.startIndex)],
            tokens.count <= ids.count, ids.prefix(tokens.count).elementsEqual(tokens)
        else { return nil }
        return captures[index].gathering(rows: Array(rows.lowerBound..<(rows.lowerBound + tokens.count)))
    }
}
