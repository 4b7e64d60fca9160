import Foundation
import Parallelism
import SAECore

/// The pages of one matched pair of runs: `pair-A-B.html` (statistics, the distribution of best-match cosines in
/// both directions, the unmatched features of each run), the full best-match tables in pages of `pageSize` rows
/// (`matches/A-to-B-<n>.html`, `matches/B-to-A-<n>.html`), and the same tables as CSV (`data/A-to-B.csv`).
struct PairPages {
    let site: CompareSite
    let pair: PairMatching
    let matching: FeatureMatching
    /// Rows per full-table page.
    var pageSize = 2048
    /// Unmatched features listed on the pair page (the full tables and CSV have all).
    var unmatchedShown = 300

    /// One direction: the features of `from`, matched into `to`.
    private struct Direction {
        var from: Int
        var to: Int
        var matches: FeatureMatching.BestMatches
        /// Whether each feature's best match has it as its own best match.
        var mutual: [Bool]
    }

    func write() throws {
        let a = pair.a, b = pair.b
        let mutualA = matching.mutualA
        var mutualB = [Bool](repeating: false, count: matching.bToA.count)
        for (i, isMutual) in mutualA.enumerated() where isMutual { mutualB[Int(matching.aToB.index[i])] = true }
        let directions = [
            Direction(from: a, to: b, matches: matching.aToB, mutual: mutualA),
            Direction(from: b, to: a, matches: matching.bToA, mutual: mutualB),
        ]
        let threshold = Float(site.options.threshold)
        let runs = site.runs

        var context: [String: Any] = ["title": site.pairName(pair), "root": "", "name": site.pairName(pair), "hasLabels": hasLabels]
        context["threshold"] = NumberFormat.precise(site.options.threshold)
        context["runA"] = runInfo(a)
        context["runB"] = runInfo(b)
        context["seconds"] = NumberFormat.fixed(pair.seconds, 2)
        context["directions"] = try directions.map { direction -> [String: Any] in
            let from = runs[direction.from], to = runs[direction.to]
            let unmatched = direction.matches.unmatched(below: threshold)
                .sorted { (direction.matches.cosine[$0], $0) < (direction.matches.cosine[$1], $1) }
            let neverFiredUnmatched = unmatched.filter { from.neverFired.contains($0) }.count
            let pages = try writeTable(direction)
            try writeCSV(direction)
            let cosines = direction.matches.cosine.map(Double.init).sorted()
            return [
                "from": site.chip(direction.from), "to": site.chip(direction.to),
                "fromName": from.name, "toName": to.name,
                "stats": [
                    ["what": "features", "value": NumberFormat.grouped(direction.matches.count)],
                    ["what": "mean best cosine", "value": NumberFormat.fixed(CompareOverviewPage.mean(direction.matches.cosine), 3)],
                    ["what": "median best cosine", "value": NumberFormat.fixed(cosines[cosines.count / 2], 3)],
                    [
                        "what": "matched (best cosine ≥ \(NumberFormat.precise(site.options.threshold)))",
                        "value": CompareOverviewPage.matchedText(direction.matches, threshold),
                    ],
                    [
                        "what": "unmatched that never fired on the run's corpus",
                        "value": "\(NumberFormat.grouped(neverFiredUnmatched)) of \(NumberFormat.grouped(unmatched.count))",
                    ],
                    ["what": "mutual best matches", "value": NumberFormat.grouped(matching.mutualCount)],
                ],
                "nUnmatched": NumberFormat.grouped(unmatched.count),
                "rows": unmatched.prefix(unmatchedShown).map { row(direction, $0, root: "") },
                "has_unmatched": !unmatched.isEmpty,
                "more": unmatched.count > unmatchedShown
                    ? "… and \(NumberFormat.grouped(unmatched.count - unmatchedShown)) more in the full table." : "",
                "pages": pages.enumerated().map { ["n": String($0.offset + 1), "href": $0.element, "range": pageRange($0.offset, direction)] },
                "csv": csvName(direction),
            ]
        }
        context["chart"] = try scoreChart(directions)
        try site.write("compare_pair", context, to: site.pageName(pair))
    }

    /// Whether either run has LLM labels (the label columns are left out otherwise).
    private var hasLabels: Bool { !site.runs[pair.a].data.labels.isEmpty || !site.runs[pair.b].data.labels.isEmpty }

    private func runInfo(_ run: Int) -> [String: Any] {
        var info = site.chip(run)
        info["name"] = site.runs[run].name
        if let link = site.runSiteLinks[run] { info["siteHref"] = link + "index.html" }
        return info
    }

    /// One table row: the feature, its label and frequency, its best match, that match's label, the cosine.
    private func row(_ direction: Direction, _ feature: Int, root: String) -> [String: Any] {
        let from = site.runs[direction.from], to = site.runs[direction.to]
        let best = Int(direction.matches.index[feature])
        var row: [String: Any] = [
            "id": String(feature), "best": String(best),
            "cosine": NumberFormat.fixed(Double(direction.matches.cosine[feature]), 3),
            "mutual": direction.mutual[feature],
            "frequency": from.frequency(feature).map { NumberFormat.short($0 * 100) + "%" } ?? "–",
            "bestFrequency": to.frequency(best).map { NumberFormat.short($0 * 100) + "%" } ?? "–",
        ]
        if let href = site.featureLink(direction.from, feature, root: root) { row["href"] = href }
        if let href = site.featureLink(direction.to, best, root: root) { row["bestHref"] = href }
        row["label"] = from.data.label(feature) ?? ""  // always set: Mustache would find the page's own label
        if let label = to.data.label(best) { row["bestLabel"] = label }
        return row
    }

    private func stem(_ direction: Direction) -> String {
        "\(site.runs[direction.from].label)-to-\(site.runs[direction.to].label)"
    }

    private func csvName(_ direction: Direction) -> String { "data/\(stem(direction)).csv" }

    private func pageRange(_ page: Int, _ direction: Direction) -> String {
        "\(page * pageSize)–\(min(direction.matches.count, (page + 1) * pageSize) - 1)"
    }

    /// Writes the full table of `direction` in pages; returns their paths relative to the site root.
    private func writeTable(_ direction: Direction) throws -> [String] {
        let count = direction.matches.count
        let pages = (count + pageSize - 1) / pageSize
        let names = (0..<pages).map { "matches/\(stem(direction))-\($0 + 1).html" }
        let from = site.runs[direction.from], to = site.runs[direction.to]
        _ = try Parallelism.map(pages) { page -> Int in
            var context: [String: Any] = [
                "title": "\(site.pairName(pair)): best matches of \(from.label) in \(to.label), page \(page + 1)", "root": "../",
                "from": site.chip(direction.from), "to": site.chip(direction.to), "fromName": from.name, "toName": to.name,
                "pairHref": site.pageName(pair), "hasLabels": hasLabels, "pairName": site.pairName(pair), "range": pageRange(page, direction),
                "csv": csvName(direction), "page": String(page + 1), "nPages": String(pages),
                "rows": (page * pageSize..<min(count, (page + 1) * pageSize)).map { row(direction, $0, root: "../") },
                "pages": names.enumerated().map { ["n": String($0.offset + 1), "href": "../" + $0.element, "current": $0.offset == page] },
            ]
            if page > 0 { context["prev"] = "../" + names[page - 1] }
            if page + 1 < pages { context["next"] = "../" + names[page + 1] }
            try site.write("compare_matches", context, to: names[page])
            return page
        }
        return names
    }

    private func writeCSV(_ direction: Direction) throws {
        let from = site.runs[direction.from].label, to = site.runs[direction.to].label
        var csv = "feature_\(from),best_\(to),cosine,mutual\n"
        csv.reserveCapacity(direction.matches.count * 24)
        for i in 0..<direction.matches.count {
            csv += "\(i),\(direction.matches.index[i]),\(direction.matches.cosine[i]),\(direction.mutual[i] ? 1 : 0)\n"
        }
        try SiteOutput.write(csv, to: site.staging.appendingPathComponent(csvName(direction)))
    }

    /// The distribution of best-match cosines in both directions on bins of 0.025 from 0 (or below, when some
    /// best match is negative) to 1, with the threshold marked.
    private func scoreChart(_ directions: [Direction]) throws -> [String: Any] {
        let width = 0.025
        let lowest = directions.flatMap(\.matches.cosine).map(Double.init).min() ?? 0
        let low = min(0, (lowest / width).rounded(.down) * width)
        let bins = Int(((1 - low) / width).rounded())
        let edges = (0...bins).map { low + Double($0) * width }
        let series = directions.map { direction -> (run: Int, values: [Double], note: String) in
            var counts = [Double](repeating: 0, count: bins)
            for cosine in direction.matches.cosine {
                counts[min(bins - 1, max(0, Int(((Double(cosine) - low) / width).rounded(.down))))] += 1
            }
            let from = site.runs[direction.from].label, to = site.runs[direction.to].label
            return (direction.from, counts, "best match of each feature of \(from) in \(to)")
        }
        return try site.overlayChart(
            name: "match-\(stem(directions[0]))", edges: edges, series: series, root: "",
            alt: "Histogram of the best-match decoder cosine of every feature, both directions, with the threshold marked",
            xLabel: "best-match decoder cosine (dashed: threshold \(NumberFormat.precise(site.options.threshold)))",
            yLabel: "features", markers: [site.options.threshold], formatEdge: { NumberFormat.fixed($0, 2) },
            formatY: { NumberFormat.grouped(Int($0)) },
            labels: directions.map { "\(site.runs[$0.from].label) → \(site.runs[$0.to].label)" })
    }
}
