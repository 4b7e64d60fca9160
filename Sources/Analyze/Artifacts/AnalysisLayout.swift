import Foundation

/// The paths of one run's files inside an analysis directory (docs/artifacts.md), relative to that directory.
public struct AnalysisLayout: Sendable {
    /// `YYYYMMDD_HHMMSS`.
    public let timestamp: String

    public init(timestamp: String) { self.timestamp = timestamp }

    /// The timestamp of `date` in UTC, as the seed names its files.
    public static func timestamp(for date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd_HHmmss"
        return formatter.string(from: date)
    }

    public var config: String { "config_\(timestamp).json" }
    public var summary: String { "SUMMARY_\(timestamp).json" }
    public var readme: String { "README_\(timestamp).md" }
    public var results: String { "results/analysis_results_\(timestamp).json" }
    public var featureSummaries: String { "results/feature_summaries_\(timestamp).jsonl" }
    public var featureTable: String { "results/feature_table_\(timestamp).json" }
    public var clusters: String { "results/clusters_\(timestamp).json" }
    public var sampledTexts: String { "results/texts_\(timestamp).json" }
    public var featureLabels: String { "results/feature_labels_llm.jsonl" }
    public var similarityMatrix: String { "matrices/feature_similarity_\(timestamp).npy" }
    public var cooccurrenceMatrix: String { "matrices/feature_cooccurrence_\(timestamp).npy" }
    public var neighbors: String { "matrices/neighbors_\(timestamp).npz" }
    public var featureMap: String { "matrices/feature_map_\(timestamp).npy" }
    public var activationDatabase: String { "activation_database/activation_db_\(timestamp).npz" }
    public var tokenTable: String { "activation_database/tokens_\(timestamp).npz" }
    public var trainingHistoryPlot: String { "plots/training_history.png" }

    /// Subdirectories every run creates.
    static let directories = ["results", "matrices", "activation_database", "plots"]
}
