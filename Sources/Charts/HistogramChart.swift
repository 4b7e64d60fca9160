import Foundation

/// Draws a histogram's bars (equal-width bins in bin order) with horizontal grid lines; the axis text is HTML
/// around the image, so the PNG carries no text.
public struct HistogramChart: Sendable {
    public var width = 480
    public var height = 140
    public var color = RGB.bar
    /// Draw bar heights on a log10(1 + count) scale (for counts spanning decades).
    public var logCounts = false
    /// When set, bins entirely below zero are drawn in this color (signed values such as logit weights).
    public var negativeColor: RGB?

    public init(width: Int = 480, height: Int = 140, logCounts: Bool = false, negativeColor: RGB? = nil) {
        self.width = width
        self.height = height
        self.logCounts = logCounts
        self.negativeColor = negativeColor
    }

    public func draw(_ histogram: HistogramBins) -> Raster {
        var raster = Raster(width: width, height: height)
        for i in 1...4 { raster.fill(x: 0, y: height - 1 - i * (height - 1) / 4, width: width, height: 1, .grid) }
        let values = histogram.counts.map { logCounts ? log10(1 + $0) : $0 }
        let top = values.max() ?? 0
        let n = values.count
        guard n > 0, top > 0 else { raster.fill(x: 0, y: height - 1, width: width, height: 1, .axis); return raster }
        for (i, value) in values.enumerated() {
            let x0 = i * width / n, x1 = (i + 1) * width / n
            let h = Int((value / top * Double(height - 2)).rounded())
            let gap = x1 - x0 > 3 ? 1 : 0
            let below = negativeColor != nil && i + 1 < histogram.edges.count && histogram.edges[i + 1] <= 0
            raster.fill(x: x0, y: height - 1 - h, width: x1 - x0 - gap, height: h, below ? negativeColor! : color)
        }
        raster.fill(x: 0, y: height - 1, width: width, height: 1, .axis)
        return raster
    }
}
