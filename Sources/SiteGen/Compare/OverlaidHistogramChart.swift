import Charts
import Foundation

/// Several histograms on the same bins drawn over each other as step outlines, one colour per run, with optional
/// vertical marker lines (a threshold); like `HistogramChart`, the axis text is HTML around the image.
struct OverlaidHistogramChart: Sendable {
    var width = 480
    var height = 160
    /// Colours of runs A, B, C, … (matplotlib's tab10), cycled.
    static let palette = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
    ]

    static func color(_ index: Int) -> RGB { palette[index % palette.count] }

    static func css(_ color: RGB) -> String { "rgb(\(color.r),\(color.g),\(color.b))" }

    /// `series[i]` is drawn in `colors[i]`; all share `edges`, and the y axis runs from 0 to the largest value.
    func draw(edges: [Double], series: [[Double]], colors: [RGB], markers: [Double] = []) -> Raster {
        var raster = Raster(width: width, height: height)
        for i in 1...4 { raster.fill(x: 0, y: height - 1 - i * (height - 1) / 4, width: width, height: 1, .grid) }
        let n = edges.count - 1
        let top = series.flatMap { $0 }.filter(\.isFinite).max() ?? 0
        let low = edges.first ?? 0, high = edges.last ?? 1
        for marker in markers where marker >= low && marker <= high && high > low {
            let x = min(width - 1, Int(((marker - low) / (high - low) * Double(width)).rounded(.down)))
            for y in stride(from: 0, to: height, by: 6) { raster.fill(x: x, y: y, width: 1, height: 3, .axis) }
        }
        if n > 0, top > 0 {
            for (values, color) in zip(series, colors) {
                var previousY: Int?
                for (i, value) in values.prefix(n).enumerated() {
                    let x0 = i * width / n, x1 = (i + 1) * width / n
                    let y = height - 2 - Int(((value.isFinite ? value : 0) / top * Double(height - 3)).rounded())
                    raster.fill(x: x0, y: y - 1, width: x1 - x0, height: 2, color)
                    if let previousY, previousY != y {
                        raster.fill(x: x0, y: min(previousY, y) - 1, width: 2, height: abs(previousY - y) + 2, color)
                    }
                    previousY = y
                }
            }
        }
        raster.fill(x: 0, y: height - 1, width: width, height: 1, .axis)
        return raster
    }
}
