/// Where one activation-database row came from: the token, its text, and its position in that text.
public struct TokenRecord: Equatable, Sendable {
    public var tokenID: Int32
    /// The index of the text in the corpus (texts that were skipped keep their numbers; rows never mix texts).
    public var textIndex: Int32
    /// The token's 0-based position in the text's token sequence.
    public var position: Int32

    public init(tokenID: Int32, textIndex: Int32, position: Int32) {
        self.tokenID = tokenID
        self.textIndex = textIndex
        self.position = position
    }
}
