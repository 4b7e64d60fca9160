import Charts
import Formats
import Foundation
import Parallelism

/// What the feature index shows for one feature.
struct IndexEntry: Sendable {
    var label: String?
    var frequency: Double?
    var mean: Double?
    var max: Double?
    var cluster: Int?
    var topTokens: String
    /// Whether the page shows examples (from a summary record) or is a short page from the feature table.
    var hasExamples: Bool
}

/// Writes one page per feature (its charts inline), streaming the summaries file in batches whose records
/// are decoded and rendered in parallel; features without a record get a short page from the feature table.
struct FeaturePages {
    let data: SiteData
    let renderer: PageRenderer
    let site: URL
    /// Lines read and rendered per parallel batch: bounds memory while keeping every core busy.
    var batchSize = 256
    /// Where each feature is among the strongest in the corpus browser's texts (nil: the run sampled none).
    var occurrences: TextOccurrences?
    private let chart = HistogramChart(width: 360, height: 110, logCounts: false)

    init(data: SiteData, renderer: PageRenderer, site: URL) {
        self.data = data
        self.renderer = renderer
        self.site = site
    }

    /// Writes every feature page; returns the index entries (by feature id) and the number of pages with a record.
    func writeAll() throws -> (entries: [IndexEntry], recorded: Int) {
        let n = data.dSae
        var entries = [IndexEntry?](repeating: nil, count: n)
        var recorded = 0
        if let url = data.directory.summariesURL {
            let reader = try JSONLinesReader(url: url)
            while true {
                let lines = try reader.next(batchSize)
                if lines.isEmpty { break }
                let results = try Parallelism.map(lines.count) { i -> (Int, IndexEntry) in
                    let record: FeatureRecord
                    do {
                        record = try FeatureRecord.decode(jsonLine: lines[i].data)
                    } catch {
                        throw InputError("line \(lines[i].line): malformed feature record (\(JSONFile.reason(error)))", url: url)
                    }
                    guard record.feature >= 0, record.feature < n else {
                        throw InputError("line \(lines[i].line): feature id \(record.feature) is outside 0..<\(n)", url: url)
                    }
                    return (record.feature, try write(record))
                }
                for (feature, entry) in results {
                    if entries[feature] == nil { recorded += 1 }
                    entries[feature] = entry
                }
            }
        }
        let missing = (0..<n).filter { entries[$0] == nil }
        let stubs = try Parallelism.map((missing.count + 63) / 64) { chunk in
            try missing[(chunk * 64)..<min(missing.count, chunk * 64 + 64)].map { ($0, try writeStub($0)) }
        }
        for (feature, entry) in stubs.joined() { entries[feature] = entry }
        return (entries.map { $0! }, recorded)
    }

    // MARK: - Pages

    private func write(_ record: FeatureRecord) throws -> IndexEntry {
        let id = record.feature
        let row = data.table?.row(id)
        let frequency = data.frequency(of: record) ?? row?.frequency
        let mean = record.meanActivation ?? row?.mean
        let maxActivation = record.maxActivation ?? row?.max ?? record.topExamples.map(\.activation).max()
        let cluster = data.linkableCluster(record.cluster ?? data.clusterOf[id])
        var context = base(id)
        context["count"] = (record.count ?? row?.count).map(formatCount) ?? "–"
        context["frequency"] = frequency.map(formatFrequency) ?? "–"
        context["mean"] = mean.map(NumberFormat.short) ?? "–"
        context["max"] = maxActivation.map(NumberFormat.short) ?? "–"
        if let cluster { context["cluster"] = String(cluster) }

        if let histogram = record.histogram, histogram.isWellFormed {
            context["histogram"] = try ChartFigure.inlineHistogram(
                histogram, chart: chart,
                alt: "Histogram of feature \(id)'s nonzero activations (\(histogram.counts.count) bins)",
                xLabel: histogram.hasLogSpacedEdges ? "activation (log-spaced bins)" : "activation")
        }
        let scale = maxActivation ?? 1
        let lossScale = ExampleHTML.lossScale(record.topExamples)
        let examples = record.topExamples.map { example($0, scale: scale, lossScale: lossScale) }
        context["examples"] = examples
        context["has_examples"] = !examples.isEmpty
        context["has_loss_effects"] = record.topExamples.contains { $0.lossEffects != nil }
        if let occurrences = occurrences?.of(id), !occurrences.isEmpty { context["occurrences"] = occurrences }
        let active = record.count
        let intervals: [[String: Any]] = (record.intervalExamples ?? []).compactMap { bin in
            guard bin.range.count == 2, !bin.examples.isEmpty else { return nil }
            var group: [String: Any] = [
                "lo": NumberFormat.short(bin.range[0]), "hi": NumberFormat.short(bin.range[1]),
                "examples": bin.examples.map { example($0, scale: scale) },
            ]
            if let count = bin.count, let active, active > 0 { group["share"] = NumberFormat.percent(count / active, 1) }
            return group
        }
        context["intervals"] = intervals
        context["has_intervals"] = !intervals.isEmpty
        if let logits = record.logitEffects {
            func rows(_ values: [FeatureRecord.TokenValue]) -> [[String: Any]] {
                values.map { ["token": $0.token, "value": NumberFormat.fixed($0.value, 3)] }
            }
            context["logits"] = ["promoted": rows(logits.promoted), "suppressed": rows(logits.suppressed)]
        }
        addNeighbors(&context, id: id, decoder: record.neighbors?.decoder, cooccurrence: record.neighbors?.cooccurrence)
        context["panels"] = try FeaturePanels.render(record, page: panelPage(id), renderer: renderer)
        try SiteOutput.write(try renderer.render("feature", context), to: site.appendingPathComponent("features/\(id).html"))

        var seen = Set<String>()
        var tokens: [String] = []
        for example in record.topExamples where tokens.count < 5 {
            let token = example.token.trimmingCharacters(in: .whitespacesAndNewlines)
            if !token.isEmpty && seen.insert(token).inserted { tokens.append(token) }
        }
        return IndexEntry(
            label: data.label(id), frequency: frequency, mean: mean, max: maxActivation, cluster: cluster,
            topTokens: tokens.joined(separator: " · "), hasExamples: true)
    }

    /// A page for a feature without a summary record: whatever the feature table and neighbour lists say.
    private func writeStub(_ id: Int) throws -> IndexEntry {
        var row = data.table?.row(id)
        if row == nil, let label = data.labels[id] {
            // A seed run has no feature table, but its labels file carries the seed's count and mean.
            let frequency = label.activationFrequency.flatMap { count in data.run.nTokens.map { count / Double(max(1, $0)) } }
            row = (label.activationFrequency, frequency, label.meanActivation, nil, nil)
        }
        var context = base(id)
        let neverFired = row?.count == 0 || (data.run.deadFeatureIDs?.contains(id) ?? false)
        context["stub"] =
            neverFired
            ? "This feature never fired on this corpus, so it has no examples."
            : data.directory.summariesURL == nil
                ? "This run has no feature summaries file, so there are no examples to show."
                : "The summaries file of this run has no record for this feature, so there are no examples to show."
        context["count"] = row?.count.map(formatCount) ?? "–"
        context["frequency"] = row?.frequency.map(formatFrequency) ?? "–"
        context["mean"] = row?.mean.map(NumberFormat.short) ?? "–"
        context["max"] = row?.max.map(NumberFormat.short) ?? "–"
        let cluster = data.linkableCluster(row?.cluster ?? data.clusterOf[id])
        if let cluster { context["cluster"] = String(cluster) }
        context["has_examples"] = false
        context["has_intervals"] = false
        addNeighbors(&context, id: id, decoder: nil, cooccurrence: nil)
        context["panels"] = try FeaturePanels.render(nil, page: panelPage(id), renderer: renderer)
        try SiteOutput.write(try renderer.render("feature", context), to: site.appendingPathComponent("features/\(id).html"))
        return IndexEntry(
            label: data.label(id), frequency: row?.frequency ?? (neverFired ? 0 : nil), mean: row?.mean,
            max: row?.max, cluster: cluster, topTokens: "", hasExamples: false)
    }

    /// The context every feature page starts from: header values, navigation and the LLM label.
    private func base(_ id: Int) -> [String: Any] {
        var context: [String: Any] = ["title": "Feature \(id)", "root": "../", "site": data.siteContext, "id": String(id)]
        if id > 0 { context["prev"] = String(id - 1) }
        if id + 1 < data.dSae { context["next"] = String(id + 1) }
        if let label = data.labels[id] {
            context["label"] = label.label ?? ""
            if let description = label.description { context["description"] = description }
            var facts: [String: Any] = [:]
            if let value = label.category { facts["category"] = value }
            if let value = label.knowledgeDomain { facts["domain"] = value }
            if let value = label.abstractionLevel { facts["abstraction"] = value }
            if let value = label.interpretabilityScore { facts["score"] = String(value) }
            if let value = label.monosemantic { facts["monosemantic"] = value ? "yes" : "no" }
            if !facts.isEmpty { context["labelFacts"] = facts }
        }
        return context
    }

    private func panelPage(_ id: Int) -> FeaturePanelPage { FeaturePanelPage(feature: id, site: site, root: "../") }

    private func addNeighbors(
        _ context: inout [String: Any], id: Int, decoder: [FeatureRecord.Neighbor]?,
        cooccurrence: [FeatureRecord.Neighbor]?
    ) {
        for (key, listed, isCooccurrence) in [("decoder", decoder, false), ("cooccurrence", cooccurrence, true)] {
            let list = listed ?? data.neighbors?.neighbors(of: id, cooccurrence: isCooccurrence) ?? []
            let rows: [[String: Any]] = list.filter { $0.feature >= 0 && $0.feature < data.dSae }.prefix(10).map { n in
                var row: [String: Any] = ["id": String(n.feature), "value": NumberFormat.fixed(n.value, 3)]
                row["label"] = data.label(n.feature) ?? ""  // always set: Mustache would find the page's own label
                return row
            }
            context[key] = rows
            context["has_" + key] = !rows.isEmpty
        }
    }

    private func example(_ example: FeatureRecord.Example, scale: Double, lossScale: Double = 0) -> [String: Any] {
        ["act": NumberFormat.short(example.activation), "html": ExampleHTML.render(example, scale: scale, lossScale: lossScale)]
    }

    private func formatCount(_ count: Double) -> String {
        count.isFinite && abs(count) < 1e15 ? NumberFormat.grouped(Int(count.rounded())) : NumberFormat.short(count)
    }

    private func formatFrequency(_ frequency: Double) -> String { NumberFormat.short(frequency * 100) + "%" }
}
