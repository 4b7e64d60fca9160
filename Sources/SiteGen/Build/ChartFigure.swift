import Charts
import Foundation

/// A chart PNG written into the site plus the values of the `chart` partial that frames it with HTML axis text.
enum ChartFigure {
    /// Draws `histogram`, writes it to `file` (under the site root) and returns the partial's context, with
    /// `src` relative to the page at `root`.
    static func histogram(
        _ histogram: HistogramBins, chart: HistogramChart, file: String, site: URL, root: String,
        alt: String, xLabel: String, yLabel: String = "count",
        formatEdge: (Double) -> String = NumberFormat.short
    ) throws -> [String: Any] {
        let png = try PNGWriter.encode(chart.draw(histogram))
        try SiteOutput.write(png, to: site.appendingPathComponent(file))
        return context(histogram, chart: chart, src: root + file, alt: alt, xLabel: xLabel, yLabel: yLabel, formatEdge: formatEdge)
    }

    /// Draws `histogram` into the page itself as a `data:image/png;base64,` URI: a feature page's charts are a
    /// few hundred bytes each, and creating two files per feature cost more than the rest of the page (file
    /// creation dominated a 4096-feature build's profile).
    static func inlineHistogram(
        _ histogram: HistogramBins, chart: HistogramChart, alt: String, xLabel: String, yLabel: String = "count"
    ) throws -> [String: Any] {
        let png = try PNGWriter.encode(chart.draw(histogram))
        return context(
            histogram, chart: chart, src: "data:image/png;base64," + png.base64EncodedString(), alt: alt, xLabel: xLabel,
            yLabel: yLabel, formatEdge: NumberFormat.short)
    }

    private static func context(
        _ histogram: HistogramBins, chart: HistogramChart, src: String, alt: String, xLabel: String, yLabel: String,
        formatEdge: (Double) -> String
    ) -> [String: Any] {
        let top = histogram.counts.max() ?? 0
        return [
            "src": src, "width": chart.width, "height": chart.height, "alt": alt,
            "xMin": formatEdge(histogram.edges.first ?? 0), "xMax": formatEdge(histogram.edges.last ?? 0),
            "xLabel": xLabel, "yLabel": chart.logCounts ? yLabel + " (log scale)" : yLabel,
            "yMax": top >= 1e6 ? NumberFormat.short(top) : NumberFormat.grouped(Int(top)),
        ]
    }
}
