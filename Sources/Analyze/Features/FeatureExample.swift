/// One activating token of a feature with its surrounding tokens, as the feature pages show it.
public struct FeatureExample: Equatable, Sendable {
    /// The token's row in the activation database (the seed's `global_idx`).
    public var row: Int
    public var activation: Float
    public var token: TokenRecord
    /// Token ids of the tokens within the context radius in the same text, in order.
    public var contextTokenIDs: [Int32]
    /// This feature's activation on each context token.
    public var contextActivations: [Float]
    /// The index of the example's own token in `contextTokenIDs`.
    public var targetIndex: Int
    /// The tokens just outside the context in the same text (nil at the text's edges), so a shown window can tell
    /// whether its edges fall between words.
    public var tokenBefore: Int32?
    public var tokenAfter: Int32?

    /// Reads the context of `row` for `feature` back from the database: the token table gives the text's rows,
    /// the CSR gives the feature's value at each of them.
    public init(row: Int, activation: Float, feature: Int, radius: Int, database: ActivationDatabase) {
        self.row = row
        self.activation = activation
        token = database.token(row)
        let rows = database.contextRows(around: row, radius: radius)
        contextTokenIDs = rows.map { database.token($0).tokenID }
        contextActivations = rows.map { database.value(row: $0, feature: feature) }
        targetIndex = row - rows.lowerBound
        let text = database.textRows(containing: row)
        tokenBefore = rows.lowerBound > text.lowerBound ? database.token(rows.lowerBound - 1).tokenID : nil
        tokenAfter = rows.upperBound < text.upperBound ? database.token(rows.upperBound).tokenID : nil
    }
}
