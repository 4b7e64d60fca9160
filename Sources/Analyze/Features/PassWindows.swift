/// The token ids of texts as the pass ran them, every position included (also those the activation database leaves
/// out: special tokens such as the BOS that starts every window, `--ignore-high-norm` positions), in model windows of
/// `context` tokens from position 0: what the loss-effect rerun needs to rebuild an example's model input exactly.
public struct PassWindows: Sendable {
    public let context: Int
    /// The ids of each text asked for, by corpus text index.
    public let texts: [Int: [Int32]]

    public init(context: Int, texts: [Int: [Int32]]) {
        precondition(context > 0, "context must be positive")
        (self.context, self.texts) = (context, texts)
    }

    /// The positions of the model window that holds `position` of `text` (nil when the text is not here or shorter).
    public func window(text: Int, position: Int) -> Range<Int>? {
        guard let ids = texts[text], ids.indices.contains(position) else { return nil }
        let start = position - position % context
        return start..<min(start + context, ids.count)
    }
}
