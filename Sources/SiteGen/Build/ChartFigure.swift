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
        let top = histogram.counts.max() ?? 0
        return [
            "src": root + file, "width": chart.width, "height": chart.height, "alt": alt,
            "xMin": formatEdge(histogram.edges.first ?? 0), "xMax": formatEdge(histogram.edges.last ?? 0),
            "xLabel": xLabel, "yLabel": chart.logCounts ? yLabel + " (log scale)" : yLabel,
            "yMax": top >= 1e6 ? NumberFormat.short(top) : NumberFormat.grouped(Int(top)),
        ]
    }
}
