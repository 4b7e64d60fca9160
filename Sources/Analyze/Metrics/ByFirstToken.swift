/// A statistic computed twice: over all tokens, and over the tokens that are not the first of their text or window.
///
/// Position 0 of a text (Qwen3 without BOS) is an attention sink with a huge residual norm, so it can dominate
/// reconstruction metrics and create position-0 features; reporting both variants shows by how much.
public struct ByFirstToken<Value> {
    /// Over every token fed to the accumulator.
    public var allTokens: Value
    /// Over the tokens whose `isFirst` flag is false.
    public var withoutFirstToken: Value

    public init(allTokens: Value, withoutFirstToken: Value) {
        self.allTokens = allTokens
        self.withoutFirstToken = withoutFirstToken
    }

    /// Applies `transform` to both variants.
    public func map<T>(_ transform: (Value) throws -> T) rethrows -> ByFirstToken<T> {
        ByFirstToken<T>(allTokens: try transform(allTokens), withoutFirstToken: try transform(withoutFirstToken))
    }
}

extension ByFirstToken: Equatable where Value: Equatable {}
extension ByFirstToken: Sendable where Value: Sendable {}

extension ByFirstToken: Codable where Value: Codable {
    enum CodingKeys: String, CodingKey {
        case allTokens = "all_tokens"
        case withoutFirstToken = "without_first_token"
    }
}

/// The two variants' names as they appear in `metric_table` rows.
public enum TokenVariant: String, Codable, Sendable, CaseIterable {
    case allTokens = "all_tokens"
    case withoutFirstToken = "without_first_token"
}

extension ByFirstToken {
    /// The value of one variant.
    public subscript(variant: TokenVariant) -> Value {
        switch variant {
        case .allTokens: allTokens
        case .withoutFirstToken: withoutFirstToken
        }
    }
}

/// The row indices of a batch that each variant covers: the `included` rows (all when nil), and of those the ones
/// that do not start a text or window.
func rowsByVariant(isFirst: [Bool], included: [Bool]? = nil) -> ByFirstToken<[Int]> {
    let rows = included.map { mask in isFirst.indices.filter { mask[$0] } } ?? Array(isFirst.indices)
    return ByFirstToken(allTokens: rows, withoutFirstToken: rows.filter { !isFirst[$0] })
}

/// Non-finite values (empty means, 0/0) become nil so they encode as JSON null.
@inline(__always) func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
