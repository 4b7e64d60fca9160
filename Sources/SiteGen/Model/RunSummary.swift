import Charts
import Formats
import Foundation

/// The run-level facts the summary page shows, merged from SUMMARY, config and analysis_results.
public struct RunSummary: Sendable {
    public var timestamp: String
    public var dSae: Int
    public var nTokens: Int?
    public var topFeatures: [Int]
    /// The four seed blocks (`sparsity`, `dead_features`, `reconstruction`, `ablation`), results over SUMMARY.
    public var blocks: [(name: String, values: [(key: String, value: JSONValue)])]
    public var metricTable: [Metric]?
    public var variant: String?
    public var warnings: [String]
    /// Flattened `key: value` lines of the config file (nil when there is none).
    public var config: [(key: String, value: String)]?
    /// Flattened `run{}` lines from analysis_results (ours only).
    public var run: [(key: String, value: String)]?
    public var frequencyHistogram: HistogramBins?
    public var neverFired: Int?
    public var l0Histogram: HistogramBins?
    public var denseAbove10pct: [Int]?
    public var denseAbove1pct: [Int]?
    public var deadFeatureIDs: [Int]?
    public var trainingDeadFeatureIDs: [Int]?
    public var readmeMarkdown: String?

    /// One row of `metric_table`.
    public struct Metric: Sendable {
        public var group: String
        public var name: String
        public var value: Double?
        public var definition: String?
        public var seedValue: Double?
        public var seedDefinition: String?
        /// `all_tokens` or `without_first_token` (nil in files that predate the variants).
        public var variant: String?
        /// The standard error of `value`, where the run computed one.
        public var standardError: Double?
    }

    /// Reads SUMMARY, config, results and README of `directory`. Missing optional files leave fields nil;
    /// malformed ones throw `InputError` naming the file.
    public init(_ directory: AnalysisDirectory) throws {
        let summary = directory.summary
        timestamp = directory.timestamp
        let results = try directory.resultsURL.map { try JSONFile.decode(JSONValue.self, from: $0) }
        let config = try directory.configURL.map { try JSONFile.decode(JSONValue.self, from: $0) }

        guard
            let features = summary.member("n_features")?.integer
                ?? results?.member("sparsity")?.member("n_features")?.integer
                ?? config?.member("d_sae")?.integer, features > 0, features <= 1 << 24
        else {
            throw InputError("missing or invalid n_features", url: directory.summaryURL)
        }
        dSae = features
        nTokens = summary.member("n_tokens_processed")?.integer ?? results?.member("sparsity")?.member("n_tokens")?.integer
        topFeatures = (summary.member("top_features")?.items ?? []).compactMap(\.integer).filter { $0 >= 0 && $0 < features }

        blocks = ["sparsity", "dead_features", "reconstruction", "ablation"].compactMap { name in
            let merged = (summary.member(name)?.fields ?? [:]).merging(results?.member(name)?.fields ?? [:]) { $1 }
            guard !merged.isEmpty else { return nil }
            // A block the run could not compute (`analyze --activations` has no ablation study) shows why, not nulls.
            if let reason = merged["not_computed"]?.text { return (name, [("not computed", .string(reason))]) }
            return (name, merged.keys.sorted().map { ($0, merged[$0]!) })
        }
        metricTable = results?.member("metric_table")?.items.map { rows in
            rows.compactMap { row in
                guard let name = row.member("name")?.text else { return nil }
                return Metric(
                    group: row.member("group")?.text ?? "", name: name, value: row.member("value")?.number,
                    definition: row.member("definition")?.text, seedValue: row.member("seed_value")?.number,
                    seedDefinition: row.member("seed_definition")?.text, variant: row.member("variant")?.text,
                    standardError: row.member("std_error")?.number)
            }
        }
        variant = results?.member("primary_variant")?.text ?? results?.member("variant")?.text
        warnings = (results?.member("warnings")?.items ?? []).compactMap(\.text)
        self.config = config?.fields.map(Self.flatten)
        run = results?.member("run")?.fields.map(Self.flatten)
        let histograms = results?.member("histograms")
        frequencyHistogram = Self.histogram(histograms?.member("feature_log10_frequency"))
        neverFired = histograms?.member("feature_log10_frequency")?.member("n_never_fired")?.integer
        l0Histogram = Self.histogram(histograms?.member("l0"))
        denseAbove10pct = results?.member("dense_features")?.member("above_10pct")?.items?.compactMap(\.integer)
        denseAbove1pct = results?.member("dense_features")?.member("above_1pct")?.items?.compactMap(\.integer)
        deadFeatureIDs = results?.member("dead_feature_ids")?.items?.compactMap(\.integer)
        trainingDeadFeatureIDs = results?.member("training_dead_feature_ids")?.items?.compactMap(\.integer)
        if let readme = directory.readmeURL {
            guard let data = try? Data(contentsOf: readme) else { throw InputError("cannot read file", url: readme) }
            readmeMarkdown = String(decoding: data, as: UTF8.self)
        }
    }

    private static func histogram(_ value: JSONValue?) -> HistogramBins? {
        guard let edges = value?.member("edges")?.items?.compactMap(\.number),
            let counts = value?.member("counts")?.items?.compactMap(\.number)
        else { return nil }
        let histogram = HistogramBins(edges: edges, counts: counts)
        return histogram.isWellFormed ? histogram : nil
    }

    /// Nested objects as dotted keys, in key order.
    private static func flatten(_ fields: [String: JSONValue]) -> [(key: String, value: String)] {
        fields.keys.sorted().flatMap { key -> [(key: String, value: String)] in
            if case .object(let inner) = fields[key]!, !inner.isEmpty {
                return flatten(inner).map { ("\(key).\($0.key)", $0.value) }
            }
            return [(key, fields[key]!.displayText)]
        }
    }
}
