/// Token sequences laid end to end without padding: matrix products run over all `tokenCount` rows at once,
/// attention runs within each sequence.
public struct PackedBatch: Equatable, Sendable {
    /// One sequence of the batch: a window of one input text.
    public struct Sequence: Equatable, Sendable {
        /// Index of the text this window comes from.
        public var text: Int
        /// Position of the window's first token within its text's tokens.
        public var start: Int
        /// The window's rows in the batch (and in every `[tokenCount, d]` activation of it).
        public var rows: Range<Int>

        /// The number of tokens.
        public var count: Int { rows.count }
    }

    /// All token ids, sequence after sequence.
    public private(set) var tokens: [Int32] = []
    /// The sequences, in row order.
    public private(set) var sequences: [Sequence] = []

    public init() {}

    /// A batch of whole sequences, each from its own text (text index = position in `sequences`).
    public init(_ sequences: [[Int32]]) {
        for (text, tokens) in sequences.enumerated() { append(tokens[...], text: text, start: 0) }
    }

    /// Appends one sequence; empty sequences are skipped.
    public mutating func append(_ sequenceTokens: ArraySlice<Int32>, text: Int, start: Int) {
        guard !sequenceTokens.isEmpty else { return }
        let first = tokens.count
        tokens.append(contentsOf: sequenceTokens)
        sequences.append(Sequence(text: text, start: start, rows: first..<tokens.count))
    }

    /// The total number of tokens (rows).
    public var tokenCount: Int { tokens.count }

    /// The length of the longest sequence.
    public var longestSequence: Int { sequences.map(\.count).max() ?? 0 }

    /// `count` copies of this batch laid end to end (copy c's rows are `c · tokenCount + row`): the batch of a
    /// stacked multi-variant pass.
    public func repeated(_ count: Int) -> PackedBatch {
        var result = PackedBatch()
        for _ in 0..<count {
            for sequence in sequences {
                result.append(tokens[sequence.rows], text: sequence.text, start: sequence.start)
            }
        }
        return result
    }

    /// Splits every text into consecutive windows of at most `context` tokens (each window is a sequence whose
    /// positions restart at 0) and packs the windows, in order, into batches of at most `maxTokens` tokens
    /// (a batch holds at least one window, so `maxTokens` below `context` still makes progress).
    public static func pack(_ texts: [[Int32]], context: Int, maxTokens: Int) -> [PackedBatch] {
        precondition(context > 0 && maxTokens > 0, "context and maxTokens must be positive")
        var batches: [PackedBatch] = []
        var current = PackedBatch()
        for (text, tokens) in texts.enumerated() {
            for start in stride(from: 0, to: tokens.count, by: context) {
                let window = tokens[start..<min(start + context, tokens.count)]
                if current.tokenCount > 0 && current.tokenCount + window.count > maxTokens {
                    batches.append(current)
                    current = PackedBatch()
                }
                current.append(window, text: text, start: start)
            }
        }
        if current.tokenCount > 0 { batches.append(current) }
        return batches
    }
}
