import Formats
import Foundation

/// One line of the seed labeler's `feature_labels_llm.jsonl`.
public struct FeatureLabel: Decodable, Sendable {
    public var feature: Int
    public var label: String?
    public var description: String?
    public var category: String?
    public var monosemantic: Bool?
    public var interpretabilityScore: Int?
    public var knowledgeDomain: String?
    public var abstractionLevel: String?
    /// The labeler's copy of the seed's statistics: active-token count and mean activation.
    public var activationFrequency: Double?
    public var meanActivation: Double?

    enum CodingKeys: String, CodingKey {
        case feature, label, description, category, monosemantic
        case activationFrequency = "activation_frequency"
        case meanActivation = "mean_activation"
        case interpretabilityScore = "interpretability_score"
        case knowledgeDomain = "knowledge_domain"
        case abstractionLevel = "abstraction_level"
    }

    /// False for the labeler's error records (`label: "ERROR"`), whose description is an exception text.
    public var isUsable: Bool { (label ?? "") != "ERROR" && !(label ?? "").isEmpty }

    /// Reads every usable label in the file, keyed by feature id (the last record wins for duplicates).
    static func load(_ url: URL) throws -> [Int: FeatureLabel] {
        let reader = try JSONLinesReader(url: url)
        var labels: [Int: FeatureLabel] = [:]
        while let line = try reader.next() {
            do {
                let label = try JSONFile.decode(FeatureLabel.self, from: line)
                if label.isUsable { labels[label.feature] = label }
            } catch {
                throw InputError("line \(reader.lineNumber): malformed JSON (\(JSONFile.reason(error)))", url: url)
            }
        }
        return labels
    }
}
