import Charts
import Formats
import Foundation

/// The run summary page (`index.html`): warnings, metrics side by side with the seed's definitions, histograms,
/// the training-history plot, features of note, configuration, and the run's README.
enum SummaryPage {
    static func write(data: SiteData, renderer: PageRenderer, site: URL) throws {
        let run = data.run
        var context: [String: Any] = ["title": "Run summary", "root": "", "site": data.siteContext]
        context["dSae"] = NumberFormat.grouped(run.dSae)
        context["nTokens"] = run.nTokens.map(NumberFormat.grouped) ?? "an unknown number of"
        context["warnings"] = run.warnings
        context["has_warnings"] = !run.warnings.isEmpty
        if let table = run.metricTable, !table.isEmpty {
            context["metricTable"] = table.map { metric -> [String: Any] in
                [
                    "group": metric.group, "name": metric.name,
                    "value": (metric.value.map(NumberFormat.precise) ?? "–")
                        + (metric.standardError.map { " ± " + NumberFormat.precise($0) } ?? ""),
                    "definition": metric.definition ?? "", "seedValue": metric.seedValue.map(NumberFormat.precise) ?? "–",
                    "seedDefinition": metric.seedDefinition ?? "(no seed metric)",
                    "tokens": metric.variant.map { $0 == "without_first_token" ? "without first token" : "all tokens" } ?? "",
                ]
            }
            context["has_metricTable"] = true
        }
        if let variant = run.variant { context["variant"] = variant }
        context["blocks"] = run.blocks.map { block -> [String: Any] in
            [
                "name": block.name.replacingOccurrences(of: "_", with: " "),
                "rows": block.values.map { ["key": $0.key, "value": $0.value.displayText] },
            ]
        }
        if let histogram = run.frequencyHistogram {
            var chart = try ChartFigure.histogram(
                histogram, chart: HistogramChart(width: 480, height: 160), file: "img/feature-frequency.png", site: site,
                root: "", alt: "Histogram of log10 feature firing frequency over the features that fired",
                xLabel: "log10 fraction of tokens a feature fires on", yLabel: "features",
                formatEdge: { NumberFormat.fixed($0, 1) })
            chart["note"] = run.neverFired.map { "\(NumberFormat.grouped($0)) features never fired and are not in the histogram." } ?? ""
            context["frequency"] = chart
        }
        if let histogram = run.l0Histogram {
            context["l0"] = try ChartFigure.histogram(
                histogram, chart: HistogramChart(width: 480, height: 160), file: "img/l0.png", site: site, root: "",
                alt: "Histogram of L0, the number of active features per token", xLabel: "active features per token (L0)",
                yLabel: "tokens")
        }
        if let plot = data.directory.trainingPlotURL {
            do {
                try FileManager.default.copyItem(at: plot, to: site.appendingPathComponent("img/training_history.png"))
            } catch {
                throw InputError("cannot copy the training-history plot", url: plot)
            }
            context["trainingPlot"] = "img/training_history.png"
        }
        func ids(_ list: [Int]?, limit: Int = 200) -> [String: Any]? {
            guard let list else { return nil }
            let shown = list.filter { $0 >= 0 && $0 < run.dSae }.prefix(limit)
            return [
                "ids": shown.map { ["id": String($0), "href": "features/\($0).html"] },
                "more": list.count > limit ? "… and \(NumberFormat.grouped(list.count - limit)) more" : "",
            ]
        }
        context["topFeatures"] = run.topFeatures.map { ["id": String($0), "href": "features/\($0).html"] }
        if let value = ids(run.denseAbove10pct) { context["dense10"] = value }
        if let value = ids(run.denseAbove1pct) { context["dense1"] = value }
        if let value = ids(run.deadFeatureIDs) { context["dead"] = value }
        if let value = ids(run.trainingDeadFeatureIDs) { context["trainingDead"] = value }
        if let config = run.config {
            context["config"] = config.map { ["key": $0.key, "value": $0.value] }
            context["has_config"] = !config.isEmpty
        }
        if let runLines = run.run {
            context["run"] = runLines.map { ["key": $0.key, "value": $0.value] }
            context["has_run"] = !runLines.isEmpty
        }
        if let readme = run.readmeMarkdown { context["readme"] = Markdown.html(readme) }
        try SiteOutput.write(try renderer.render("summary", context), to: site.appendingPathComponent("index.html"))
    }
}
