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
        /// The first rows of an earlier sequence of the batch that this one continues (empty: none). Its positions
        /// follow theirs, and its attention sees their keys and values as the pass computes them: a sequence that
        /// shares those rows' tokens up to its start without running them again.
        public var prefix: Range<Int> = 0..<0

        /// The number of tokens.
        public var count: Int { rows.count }
        /// The positions of its rows: after those of its prefix.
        public var positions: Range<Int> { prefix.count..<(prefix.count + rows.count) }
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

    /// Appends one sequence; empty sequences are skipped. `prefix` (see `Sequence.prefix`) must be the first rows of
    /// an earlier sequence that has no prefix itself.
    public mutating func append(_ sequenceTokens: ArraySlice<Int32>, text: Int, start: Int, continuing prefix: Range<Int> = 0..<0) {
        guard !sequenceTokens.isEmpty else { return }
        precondition(
            prefix.isEmpty
                || sequences.contains { $0.prefix.isEmpty && $0.rows.lowerBound == prefix.lowerBound && $0.rows.upperBound >= prefix.upperBound },
            "a prefix must be the first rows of an earlier sequence without a prefix")
        let first = tokens.count
        tokens.append(contentsOf: sequenceTokens)
        sequences.append(Sequence(text: text, start: start, rows: first..<tokens.count, prefix: prefix.isEmpty ? 0..<0 : prefix))
    }

    /// The total number of tokens (rows).
    public var tokenCount: Int { tokens.count }

    /// The length of the longest sequence.
    public var longestSequence: Int { sequences.map(\.count).max() ?? 0 }

    /// The most positions of any sequence, its prefix's included: the keys one query may see.
    public var longestSpan: Int { sequences.map { $0.positions.upperBound }.max() ?? 0 }

    /// `count` copies of this batch laid end to end (copy c's rows are `c · tokenCount + row`): the batch of a
    /// stacked multi-variant pass.
    public func repeated(_ count: Int) -> PackedBatch {
        var result = PackedBatch()
        for copy in 0..<count {
            let offset = copy * tokenCount
            for sequence in sequences {
                let prefix = sequence.prefix.isEmpty ? sequence.prefix : (sequence.prefix.lowerBound + offset)..<(sequence.prefix.upperBound + offset)
                result.append(tokens[sequence.rows], text: sequence.text, start: sequence.start, continuing: prefix)
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
