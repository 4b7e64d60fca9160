import Foundation

/// The corpus browser's data: a reproducible sample of the analyzed texts and, for every token of each, the
/// features with the largest activations there. Read back from the finished activation database (the pass's own
/// output), so a single run, a resumed run and merged shards write the same sample.
public struct SampledTexts: Equatable, Sendable {
    /// Features listed per token.
    public static let featuresPerToken = 5
    /// Tokens kept per sampled text (longer texts are cut here and marked so; bounds the artifact's size).
    public static let maximumTokens = 2048

    public struct Text: Equatable, Sendable {
        /// Index of the text in the corpus.
        public var textIndex: Int
        /// The text's token count in the database (more than `tokenIDs.count` when cut).
        public var tokenCount: Int
        public var tokenIDs: [Int32]
        /// Per token, up to `featuresPerToken` features by descending activation (ties: lower id first), and
        /// their activations.
        public var features: [[Int32]]
        public var values: [[Float]]
    }

    public var texts: [Text]
    /// How many texts the database holds (the population the sample was drawn from).
    public var textCount: Int

    /// `count` evenly spaced texts of the database, in corpus order: positions `⌊i · T / count⌋` of the T texts.
    public init(database: ActivationDatabase, count: Int) {
        let runs = database.textRuns
        textCount = runs.count
        let k = min(max(count, 0), runs.count)
        texts = Self.evenlySpaced(k, of: runs.count).map { index in
            let rows = runs[index]
            let kept = rows.lowerBound..<min(rows.upperBound, rows.lowerBound + Self.maximumTokens)
            var text = Text(
                textIndex: Int(database.token(rows.lowerBound).textIndex), tokenCount: rows.count, tokenIDs: [],
                features: [], values: [])
            for row in kept {
                text.tokenIDs.append(database.token(row).tokenID)
                let (features, values) = database.row(row)
                let strongest = Self.strongest(features: features, values: values, k: Self.featuresPerToken)
                text.features.append(strongest.map { features[$0] })
                text.values.append(strongest.map { values[$0] })
            }
            return text
        }
    }

    /// `k` distinct indices in `0..<n`, spread evenly from the first.
    static func evenlySpaced(_ k: Int, of n: Int) -> [Int] {
        guard k > 0 else { return [] }
        return (0..<k).map { $0 * n / k }
    }

    /// Indices into `values` of the `k` largest, descending; ties keep the lower index (= lower feature id).
    static func strongest(features: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>, k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(k))
    }
}
