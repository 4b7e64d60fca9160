import Foundation

/// `README_<ts>.md`: the seed's report, section for section, followed by our additions (the metric table with the
/// seed's and the correct definitions, warnings, feature geometry, and the list of files).
enum ReadmeReport {
    static func markdown(run: AnalysisRunInfo, results: OrderedJSON, analysis: FeatureAnalysis, layout: AnalysisLayout,
                         files: [(String, String)]) -> String {
        func number(_ block: String, _ key: String) -> Double? { results[block]?[key]?.doubleValue }
        func fixed(_ value: Double?, _ digits: Int) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "not computed"
        }
        let s = analysis.statistics
        var lines = [
            "", "# SAE Analysis Report", "Generated: \(layout.timestamp)", "",
            "## Configuration",
            "- Model: \(run.model)", "- SAE Path: \(run.saePath)", "- Layer: \(run.layer)", "- Hook: \(run.hookName)",
            "- Dataset: \(run.datasetSize) texts", "",
            "## Key Results", "",
            "### Sparsity Metrics",
            "- L0 (features/token): \(fixed(number("sparsity", "l0_mean"), 2)) ± \(fixed(number("sparsity", "l0_std"), 2))",
            "- L1: \(fixed(number("sparsity", "l1_mean"), 4)) ± \(fixed(number("sparsity", "l1_std"), 4))",
            "- Tokens processed: \(grouped(s.tokenCount))", "",
            "### Dead Features",
            "- Number: \(number("dead_features", "n_dead").map { String(Int($0)) } ?? "not computed") / \(s.featureCount)",
            "- Percentage: \(fixed(number("dead_features", "pct_dead"), 1))%",
            "- Never fired on this corpus: \(s.counts.filter { $0 == 0 }.count) / \(s.featureCount)", "",
            "### Reconstruction Quality",
            "- MSE: \(fixed(number("reconstruction", "mse"), 6))",
            "- Explained Variance: \(fixed(number("reconstruction", "explained_variance"), 4)) (\(fixed(number("reconstruction", "explained_variance").map { $0 * 100 }, 2))%)",
            "- Cosine Similarity: \(fixed(number("reconstruction", "cosine_similarity"), 4))", "",
            "### Ablation Study",
            "- Baseline Loss: \(fixed(number("ablation", "baseline_loss"), 4))",
            "- Zero Ablation Loss: \(fixed(number("ablation", "zero_ablation_loss"), 4))",
            "- SAE Reconstruction Loss: \(fixed(number("ablation", "sae_reconstruction_loss"), 4))",
            "- Loss Recovered: \(fixed(number("ablation", "loss_recovered").map { $0 * 100 }, 2))%", "",
            "## Top 10 Most Active Features",
            (0..<s.featureCount).sorted { s.counts[$0] != s.counts[$1] ? s.counts[$0] > s.counts[$1] : $0 < $1 }
                .prefix(10).map(String.init).joined(separator: ", "), "",
        ]
        if case .array(let rows) = results["metric_table"] ?? .null, !rows.isEmpty {
            lines += ["## Metrics (seed definition vs. corrected)", "",
                      "| group | metric | variant | value | definition | seed value | seed definition |",
                      "|---|---|---|---|---|---|---|"]
            for row in rows {
                func text(_ key: String) -> String {
                    switch row[key] {
                    case .string(let value)?: value.replacingOccurrences(of: "|", with: "\\|")
                    case let value? where value.doubleValue != nil: String(format: "%.6g", value.doubleValue!)
                    default: "—"
                    }
                }
                lines.append("| \(text("group")) | \(text("name")) | \(text("variant")) | \(text("value")) | \(text("definition")) | \(text("seed_value")) | \(text("seed_definition")) |")
            }
            lines.append("")
        }
        if case .array(let warnings) = results["warnings"] ?? .null, !warnings.isEmpty {
            lines += ["## Warnings", ""]
            for case .string(let warning) in warnings { lines.append("- \(warning)") }
            lines.append("")
        }
        let clustering = analysis.clustering
        lines += ["## Feature Geometry", "",
                  "- Decoder neighbours: \(analysis.options.similarityMetric.rawValue); co-occurrence: \(analysis.options.cooccurrenceMeasure.rawValue) (\(analysis.options.neighbors) per feature in `\(layout.neighbors)`)",
                  "- Clusters: \(clustering.clusters.count) (average linkage on 1 − |phi| over the \(clustering.features.count) features with the most varied co-occurrence)"]
        for cluster in clustering.clusters.sorted(by: { $0.members.count > $1.members.count }).prefix(5) {
            lines.append("  - cluster \(cluster.id): \(cluster.members.count) features, mean co-occurrence \(String(format: "%.3f", cluster.meanCooccurrence)), mean decoder cosine \(String(format: "%.3f", cluster.meanDecoderCosine))")
        }
        lines += ["", "## Files", ""]
        for (key, path) in files { lines.append("- \(key): `\(path)`") }
        lines += ["", "See the feature summaries (`\(layout.featureSummaries)`) or the generated site for detailed analysis of each feature.", ""]
        return lines.joined(separator: "\n")
    }

    /// `2,226,141`.
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }
}
