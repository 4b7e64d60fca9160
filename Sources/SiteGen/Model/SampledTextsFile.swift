import Formats
import Foundation

/// `results/texts_<ts>.json`: the corpus browser's sampled texts, each token with its strongest features
/// (docs/artifacts.md).
struct SampledTextsFile: Decodable, Sendable {
    struct Text: Decodable, Sendable {
        var textIndex: Int
        var tokenCount: Int?
        var tokens: [String]
        var features: [[Int]]
        var values: [[Double]]

        enum CodingKeys: String, CodingKey {
            case tokens, features, values
            case textIndex = "text_idx"
            case tokenCount = "n_tokens"
        }
    }

    var textCount: Int?
    var texts: [Text]

    enum CodingKeys: String, CodingKey {
        case texts
        case textCount = "n_texts"
    }

    /// Reads and checks the file: every text's per-token lists have one entry per token, and feature ids are in
    /// `0..<dSae`.
    static func load(_ url: URL, dSae: Int) throws -> SampledTextsFile {
        let file = try JSONFile.decode(SampledTextsFile.self, from: url)
        var seen = Set<Int>()
        for text in file.texts {
            guard text.features.count == text.tokens.count, text.values.count == text.tokens.count else {
                throw InputError(
                    "text \(text.textIndex): \(text.tokens.count) tokens but \(text.features.count) feature lists and \(text.values.count) value lists",
                    url: url)
            }
            guard text.textIndex >= 0, seen.insert(text.textIndex).inserted else {
                throw InputError("text index \(text.textIndex) is negative or listed twice", url: url)
            }
            for (features, values) in zip(text.features, text.values) {
                guard features.count == values.count, features.allSatisfy({ (0..<dSae).contains($0) }) else {
                    throw InputError("text \(text.textIndex): a token's features are not ids in 0..<\(dSae) with one value each", url: url)
                }
            }
        }
        return file
    }
}

/// Where each feature is among a token's strongest in the sampled texts: the feature pages link there.
struct TextOccurrences: Sendable {
    struct Occurrence: Sendable {
        var text: Int
        var position: Int
        var token: String
        var value: Double
    }

    /// Links listed per feature page.
    static let listed = 10
    private var byFeature: [Int: [Occurrence]] = [:]
    private var totals: [Int: Int] = [:]

    init(_ file: SampledTextsFile) {
        for text in file.texts {
            for (position, features) in text.features.enumerated() {
                for (rank, feature) in features.enumerated() {
                    totals[feature, default: 0] += 1
                    byFeature[feature, default: []].append(
                        Occurrence(text: text.textIndex, position: position, token: text.tokens[position], value: text.values[position][rank]))
                }
            }
        }
        for (feature, list) in byFeature {
            byFeature[feature] = Array(
                list.sorted { $0.value != $1.value ? $0.value > $1.value : ($0.text, $0.position) < ($1.text, $1.position) }.prefix(Self.listed))
        }
    }

    /// The mustache context of feature `id`'s links (nil when it is never among the strongest).
    func of(_ id: Int) -> [String: Any]? {
        guard let list = byFeature[id], let total = totals[id] else { return nil }
        var context: [String: Any] = [
            "list": list.map {
                ["text": String($0.text), "position": String($0.position), "token": $0.token, "value": NumberFormat.short($0.value)]
            }
        ]
        if total > list.count { context["more"] = NumberFormat.grouped(total - list.count) }
        return context
    }
}
