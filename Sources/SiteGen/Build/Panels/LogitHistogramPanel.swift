import Charts

/// `#logit-histogram`: how the feature's direct logit weights `W_dec[i]·W_U` spread over the whole vocabulary.
struct LogitHistogramPanel: FeaturePanel {
    let id = "logit-histogram"
    let title = "Logit weight distribution"
    private let chart = HistogramChart(width: 360, height: 110, negativeColor: .negativeBar)

    func context(_ record: FeatureRecord, page: FeaturePanelPage) throws -> [String: Any]? {
        guard let histogram = record.logitHistogram, histogram.isWellFormed else { return nil }
        let tokens = histogram.counts.reduce(0, +)
        return [
            "chart": try ChartFigure.inlineHistogram(
                histogram, chart: chart,
                alt: "Histogram of feature \(page.feature)'s logit weights over \(NumberFormat.grouped(Int(tokens))) tokens "
                    + "(\(histogram.counts.count) bins from \(NumberFormat.short(histogram.edges.first ?? 0)) to "
                    + "\(NumberFormat.short(histogram.edges.last ?? 0)); negative weights in red)",
                xLabel: "W_dec·W_U", yLabel: "tokens")
        ]
    }
}
