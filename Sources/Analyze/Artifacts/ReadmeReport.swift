import Foundation

/// `README_<ts>.md`: the seed's report, section for section, followed by our additions (the metric table with the
/// seed's and the correct definitions, warnings, feature geometry, and the list of files).
enum ReadmeReport {
    static func markdown(
        run: AnalysisRunInfo, analysis: FeatureAnalysis, layout: AnalysisLayout,
        files: [(String, String)]
    ) -> String {
        func fixed(_ value: Double?, _ digits: Int) -> String {
            value.map { String(format: "%.\(digits)f", $0) } ?? "not computed"
        }
        let results = run.results, sparsity = results.headlineSparsity
        let reconstruction = results.headlineReconstruction, ablation = results.headlineAblation
        let s = analysis.statistics
        var lines = [
            "", "# SAE Analysis Report", "Generated: \(layout.timestamp)", "",
            "## Configuration",
            "- Model: \(run.model)", "- SAE Path: \(run.saePath)", "- Layer: \(run.layer)", "- Hook: \(run.hookName)",
            "- Dataset: \(run.datasetSize) texts", "",
            "## Key Results", "",
            "### Sparsity Metrics",
            "- L0 (features/token): \(fixed(sparsity.l0Mean, 2)) ± \(fixed(sparsity.l0Std, 2))",
            "- L1: \(fixed(sparsity.l1Mean, 4)) ± \(fixed(sparsity.l1Std, 4))",
            "- Tokens processed: \(grouped(s.tokenCount))", "",
            "### Dead Features",
            "- Number: \(results.deadFeatureIDs.count) / \(s.dSae)",
            "- Percentage: \(fixed(results.deadPercent, 1))%",
            "- Never fired on this corpus (all tokens): \(results.sparsity.metrics.allTokens.deadFeatureIds.count) / \(s.dSae)", "",
            "### Reconstruction Quality",
            "- MSE: \(fixed(reconstruction.mse, 6))",
            "- Explained Variance: \(fixed(reconstruction.explainedVariance, 4)) (\(fixed(reconstruction.explainedVariance.map { $0 * 100 }, 2))%)",
            "- Cosine Similarity: \(fixed(reconstruction.cosineSimilarity, 4))", "",
            "### Ablation Study",
            "- Baseline Loss: \(fixed(ablation?.baselineLoss, 4))",
            "- Zero Ablation Loss: \(fixed(ablation?.zeroAblationLoss, 4))",
            "- SAE Reconstruction Loss: \(fixed(ablation?.saeReconstructionLoss, 4))",
            "- Loss Recovered: \(fixed(ablation?.lossRecovered.map { $0 * 100 }, 2))%",
        ]
        if ablation == nil, let reason = results.ablationNotComputed { lines.append("- Not computed: \(reason)") }
        lines += [
            "",
            "## Top 10 Most Active Features",
            s.mostActive(10).map(String.init).joined(separator: ", "), "",
        ]
        if !results.metricTable.isEmpty {
            lines += [
                "## Metrics (seed definition vs. corrected)", "",
                "| group | metric | variant | value | definition | seed value | seed definition |",
                "|---|---|---|---|---|---|---|",
            ]
            func cell(_ text: String?) -> String { text?.replacingOccurrences(of: "|", with: "\\|") ?? "—" }
            func cell(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "—" }
            for row in results.metricTable {
                lines.append(
                    "| \(cell(row.group)) | \(cell(row.name)) | \(cell(row.variant.rawValue)) | \(cell(row.value)) | "
                        + "\(cell(row.definition)) | \(cell(row.seedValue)) | \(cell(row.seedDefinition)) |")
            }
            lines.append("")
        }
        if !results.warnings.isEmpty {
            lines += ["## Warnings", ""]
            for warning in results.warnings { lines.append("- \(warning)") }
            lines.append("")
        }
        let clustering = analysis.clustering
        lines += [
            "## Feature Geometry", "",
            "- Decoder neighbours: \(analysis.options.similarityMetric.rawValue); co-occurrence: \(analysis.options.cooccurrenceMeasure.rawValue) (\(analysis.options.neighbors) per feature in `\(layout.neighbors)`)",
            "- Clusters: \(clustering.clusters.count) (average linkage on 1 − |phi| over the \(clustering.features.count) features with the most varied co-occurrence)",
        ]
        for cluster in clustering.clusters.sorted(by: { $0.members.count > $1.members.count }).prefix(5) {
            lines.append(
                "  - cluster \(cluster.id): \(cluster.members.count) features, mean co-occurrence \(String(format: "%.3f", cluster.meanCooccurrence)), mean decoder cosine \(String(format: "%.3f", cluster.meanDecoderCosine))"
            )
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
