import Foundation
import SAECore

/// The comparison's `index.html`: the runs, what differs between them, feature matching per pair, every metric
/// with its difference to run A, dead and dense counts, overlaid frequency and L0 histograms, and the
/// configuration diff.
enum CompareOverviewPage {
    static func write(_ site: CompareSite) throws {
        let runs = site.runs
        var context: [String: Any] = ["title": "Comparison", "root": ""]
        context["nRuns"] = String(runs.count)
        context["runHeaders"] = runs.indices.map(site.chip)
        context["runFields"] = runFields(site)
        let warnings = RunFlags.warnings(runs)
        context["warnings"] = warnings
        context["has_warnings"] = !warnings.isEmpty
        let notes = RunFlags.notes(runs)
        context["notes"] = notes
        context["has_notes"] = !notes.isEmpty
        context["threshold"] = NumberFormat.precise(site.options.threshold)
        context["pairs"] = site.pairs.map { pairRow(site, $0) }

        var headers: [[String: Any]] = []
        for i in runs.indices {
            headers.append(site.chip(i).merging(["delta": false]) { $1 })
            if i > 0 { headers.append(["label": "Δ \(runs[i].label)−\(runs[0].label)", "delta": true]) }
        }
        context["headers"] = headers
        let metrics = MetricComparison(runs.map(\.run))
        context["metricTable"] = metrics.table.map(metricRow)
        context["has_metricTable"] = !metrics.table.isEmpty
        context["blocks"] = metrics.blocks.map(metricRow)
        context["counts"] = metrics.counts.map(metricRow)

        context["frequency"] = try frequencyChart(site)
        context["l0"] = try l0Chart(site)

        let diff = ConfigDiff(runs.map(\.run.config))
        func configRows(_ rows: [ConfigDiff.Row]) -> [[String: Any]] {
            rows.map { ["key": $0.key, "value": $0.values.first.flatMap { $0 } ?? "–", "cells": $0.values.map { ["value": $0 ?? "–"] }] }
        }
        context["configHeaders"] = runs.indices.map(site.chip)
        context["configDiffering"] = configRows(diff.differing)
        context["configShared"] = configRows(diff.shared)
        context["nShared"] = String(diff.shared.count)
        context["has_configDiffering"] = !diff.differing.isEmpty
        context["has_configShared"] = !diff.shared.isEmpty
        try site.write("compare", context, to: "index.html")
    }

    /// The runs table, one row per attribute and one column per run; each cell is `code`, `text` or a link
    /// (`href` + `linkText`), with an optional `note` under it.
    private static func runFields(_ site: CompareSite) -> [[String: Any]] {
        let runs = site.runs
        func field(_ name: String, _ cell: (Int, ComparedRun) -> [String: String]) -> [String: Any] {
            ["name": name, "cells": runs.enumerated().map { cell($0.offset, $0.element) }]
        }
        return [
            field("Analysis") { _, run in ["code": run.name, "note": run.directory.timestamp] },
            field("Model") { _, run in
                ["text": run.config?.member("model_name")?.text ?? run.directory.summary.member("model")?.text ?? "–"]
            },
            field("Hook") { _, run in ["code": RunFlags.hook(run) ?? "–"] },
            field("SAE") { _, run in
                var cell = ["code": run.config?.member("sae_path")?.text ?? run.directory.summary.member("sae_path")?.text ?? "–"]
                switch run.sae {
                case .success(let url): if url.path != cell["code"] { cell["note"] = "read from \(url.path)" }
                case .failure(let reason): cell["note"] = reason.description
                }
                return cell
            },
            field("d_in → d_sae") { _, run in
                ["text": "\(run.config?.member("d_in")?.integer.map(NumberFormat.grouped) ?? "?") → \(NumberFormat.grouped(run.dSae))"]
            },
            field("Architecture") { _, run in
                var text = run.config?.member("architecture")?.text ?? "–"
                if let k = run.config?.member("k")?.integer { text += ", k = \(k)" }
                if let mode = run.config?.member("topk_mode")?.text { text += ", top-k mode \(mode)" }
                return ["text": text]
            },
            field("Corpus") { _, run in
                ["code": run.config?.member("data_path")?.text.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "–"]
            },
            field("Tokens") { _, run in ["text": run.run.nTokens.map(NumberFormat.grouped) ?? "–"] },
            field("Site") { i, _ in
                site.runSiteLinks[i].map { ["href": $0 + "index.html", "linkText": "open the run's site"] } ?? ["text": "no site found"]
            },
        ]
    }

    private static func pairRow(_ site: CompareSite, _ pair: PairMatching) -> [String: Any] {
        var row: [String: Any] = ["name": site.pairName(pair), "a": site.chip(pair.a), "b": site.chip(pair.b)]
        switch pair.outcome {
        case .failure(let skip):
            row["skip"] = skip.description
        case .success(let matching):
            let t = Float(site.options.threshold)
            row["href"] = site.pageName(pair)
            row["meanAB"] = NumberFormat.fixed(mean(matching.aToB.cosine), 3)
            row["meanBA"] = NumberFormat.fixed(mean(matching.bToA.cosine), 3)
            row["matchedAB"] = matchedText(matching.aToB, t)
            row["matchedBA"] = matchedText(matching.bToA, t)
            row["mutual"] = NumberFormat.grouped(matching.mutualCount)
        }
        return row
    }

    static func mean(_ values: [Float]) -> Double {
        values.isEmpty ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    }

    static func matchedText(_ matches: FeatureMatching.BestMatches, _ threshold: Float) -> String {
        let matched = matches.count - matches.unmatched(below: threshold).count
        return
            "\(NumberFormat.grouped(matched)) / \(NumberFormat.grouped(matches.count)) (\(NumberFormat.percent(Double(matched) / Double(max(1, matches.count)), 1)))"
    }

    // MARK: - Metrics

    private static func metricRow(_ row: MetricComparison.Row) -> [String: Any] {
        var cells: [[String: Any]] = []
        let base = row.values.first ?? nil
        for (i, value) in row.values.enumerated() {
            cells.append(["value": display(value), "delta": false])
            if i > 0 { cells.append(["value": delta(value, from: base), "delta": true]) }
        }
        return ["group": row.group, "name": row.name, "detail": row.detail, "cells": cells]
    }

    private static func display(_ value: MetricComparison.Value?) -> String {
        switch value {
        case .number(let number)?: number == number.rounded() && abs(number) < 1e15 ? NumberFormat.grouped(Int(number)) : NumberFormat.precise(number)
        case .text(let text)?: text
        case nil: "–"
        }
    }

    /// `value − base` with its sign, and relative to `|base|` when that is not zero: "+0.0123 (+1.2%)".
    static func delta(_ value: MetricComparison.Value?, from base: MetricComparison.Value?) -> String {
        guard let v = value?.number, let b = base?.number, v.isFinite, b.isFinite else {
            if let value, let base, value == base { return "=" }
            return value == nil || base == nil ? "" : "≠"
        }
        let d = v - b
        if d == 0 { return "0" }
        let integral = v == v.rounded() && b == b.rounded() && abs(d) < 1e15
        var text = (d > 0 ? "+" : "−") + (integral ? NumberFormat.grouped(Int(abs(d))) : NumberFormat.precise(abs(d)))
        if b != 0 { text += " (" + (d > 0 ? "+" : "−") + NumberFormat.short(abs(d / b) * 100) + "%)" }
        return text
    }

    // MARK: - Charts

    private static func frequencyChart(_ site: CompareSite) throws -> [String: Any]? {
        let runs = site.runs
        guard let overlay = HistogramOverlay(runs.map(\.run.frequencyHistogram), totals: runs.map { Double($0.dSae) }) else {
            return nil
        }
        let series = runs.indices.compactMap { i -> (run: Int, values: [Double], note: String)? in
            overlay.series[i].map { values in
                let never = runs[i].run.neverFired ?? runs[i].run.deadFeatureIDs?.count
                return (i, values, never.map { "\(NumberFormat.grouped($0)) never fired (not in the histogram)" } ?? "")
            }
        }
        var chart = try site.overlayChart(
            name: "compare-frequency", edges: overlay.edges, series: series, root: "",
            alt: "Histograms of log10 feature firing frequency of the runs, overlaid",
            xLabel: "log10 fraction of tokens a feature fires on", yLabel: "fraction of features",
            formatEdge: { NumberFormat.fixed($0, 2) }, formatY: { NumberFormat.percent($0, 1) })
        chart["missing"] = missingNote(runs.indices.filter { overlay.series[$0] == nil }.map { runs[$0].label })
        return chart
    }

    private static func l0Chart(_ site: CompareSite) throws -> [String: Any]? {
        let runs = site.runs
        guard let overlay = HistogramOverlay(runs.map(\.run.l0Histogram), totals: runs.map { _ in nil }) else { return nil }
        let series = runs.indices.compactMap { i -> (run: Int, values: [Double], note: String)? in
            overlay.series[i].map { (i, $0, runs[i].run.nTokens.map { "\(NumberFormat.grouped($0)) tokens" } ?? "") }
        }
        var chart = try site.overlayChart(
            name: "compare-l0", edges: overlay.edges, series: series, root: "",
            alt: "Histograms of L0 (active features per token) of the runs, overlaid",
            xLabel: "active features per token (L0)", yLabel: "fraction of tokens",
            formatY: { NumberFormat.percent($0, 1) })
        chart["missing"] = missingNote(runs.indices.filter { overlay.series[$0] == nil }.map { runs[$0].label })
        return chart
    }

    private static func missingNote(_ labels: [String]) -> String {
        labels.isEmpty ? "" : "Not computed in run\(labels.count > 1 ? "s" : "") \(labels.joined(separator: ", "))."
    }
}
