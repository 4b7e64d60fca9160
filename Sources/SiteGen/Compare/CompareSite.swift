import Charts
import Formats
import Foundation

/// What every page of a comparison site shares: the runs, the renderer, where the site is staged and where it
/// will end up (links into the runs' own sites are relative to the final location).
struct CompareSite {
    let runs: [ComparedRun]
    let pairs: [PairMatching]
    let options: CompareOptions
    let renderer: PageRenderer
    /// The staging directory pages are written into.
    let staging: URL
    /// Each run's site relative to the site's root (ending in "/"), nil when the run has no site.
    let runSiteLinks: [String?]

    init(runs: [ComparedRun], pairs: [PairMatching], options: CompareOptions, renderer: PageRenderer, staging: URL, target: URL) {
        self.runs = runs
        self.pairs = pairs
        self.options = options
        self.renderer = renderer
        self.staging = staging
        runSiteLinks = runs.map { run in run.site.map { RelativePath.encoded(RelativePath.between(target, $0)) } }
    }

    /// The values of the header and footer partials.
    var siteContext: [String: Any] {
        [
            "runNames": runs.map { "\($0.label): \($0.name)" }.joined(separator: " · "),
            "pairs": pairs.compactMap { pair -> [String: Any]? in
                guard case .success = pair.outcome else { return nil }
                return ["href": pageName(pair), "name": pairName(pair)]
            },
            "toolVersion": ToolVersion.string,
            "source": runs.map(\.name).joined(separator: ", "),
        ]
    }

    func pairName(_ pair: PairMatching) -> String { "\(runs[pair.a].label) ↔ \(runs[pair.b].label)" }

    /// `pair-A-B.html`.
    func pageName(_ pair: PairMatching) -> String { "pair-\(runs[pair.a].label)-\(runs[pair.b].label).html" }

    /// The link to `feature`'s page in `run`'s site from a page at `root`, or nil when the run has no site.
    func featureLink(_ run: Int, _ feature: Int, root: String) -> String? {
        runSiteLinks[run].map { root + $0 + "features/\(feature).html" }
    }

    /// Label chip values of a run: its letter and its colour.
    func chip(_ run: Int) -> [String: Any] {
        ["label": runs[run].label, "color": OverlaidHistogramChart.css(OverlaidHistogramChart.color(run))]
    }

    func write(_ template: String, _ context: [String: Any], to path: String) throws {
        var context = context
        context["site"] = siteContext
        try SiteOutput.write(try renderer.render(template, context), to: staging.appendingPathComponent(path))
    }

    /// Draws an overlay chart into `img/<name>.png` and returns the `chart` partial's values plus a legend.
    func overlayChart(
        name: String, edges: [Double], series: [(run: Int, values: [Double], note: String)], root: String,
        alt: String, xLabel: String, yLabel: String, markers: [Double] = [],
        formatEdge: (Double) -> String = NumberFormat.short, formatY: (Double) -> String = NumberFormat.short,
        colors: [RGB]? = nil, labels: [String]? = nil
    ) throws -> [String: Any] {
        let chart = OverlaidHistogramChart()
        let palette = colors ?? series.map { OverlaidHistogramChart.color($0.run) }
        let raster = chart.draw(edges: edges, series: series.map(\.values), colors: palette, markers: markers)
        let file = "img/\(name).png"
        try SiteOutput.write(try PNGWriter.encode(raster), to: staging.appendingPathComponent(file))
        let top = series.flatMap(\.values).filter(\.isFinite).max() ?? 0
        return [
            "src": root + file, "width": chart.width, "height": chart.height, "alt": alt,
            "xMin": formatEdge(edges.first ?? 0), "xMax": formatEdge(edges.last ?? 0), "xLabel": xLabel, "yLabel": yLabel,
            "yMax": formatY(top),
            "legend": series.enumerated().map { i, entry -> [String: Any] in
                ["label": labels?[i] ?? runs[entry.run].label, "color": OverlaidHistogramChart.css(palette[i]), "note": entry.note]
            },
        ]
    }
}
