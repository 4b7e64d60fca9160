/// Draws a square matrix as a heatmap, one block of `cell × cell` pixels per entry.
public struct HeatmapChart: Sendable {
    public var colormap: Colormap
    /// Values mapped to the colormap's ends.
    public var range: ClosedRange<Double>
    /// Largest image side in pixels; the cell size is chosen to fit.
    public var maxSide: Int

    public init(colormap: Colormap, range: ClosedRange<Double>, maxSide: Int = 480) {
        self.colormap = colormap
        self.range = range
        self.maxSide = maxSide
    }

    /// Draws the `n × n` matrix `values` (row-major). For n above `maxSide`, pixels sample the matrix.
    public func draw(_ values: [Float], n: Int) -> Raster {
        precondition(values.count == n * n && n > 0)
        let cell = max(1, min(40, maxSide / n))
        let side = min(maxSide, n * cell)
        var raster = Raster(width: side, height: side)
        let span = range.upperBound - range.lowerBound
        if n * cell <= side {
            for row in 0..<n {
                for column in 0..<n {
                    let t = span > 0 ? (Double(values[row * n + column]) - range.lowerBound) / span : 0.5
                    raster.fill(x: column * cell, y: row * cell, width: cell, height: cell, colormap.color(at: t))
                }
            }
        } else {
            for y in 0..<side {
                for x in 0..<side {
                    let value = Double(values[(y * n / side) * n + x * n / side])
                    raster.fill(x: x, y: y, width: 1, height: 1, colormap.color(at: span > 0 ? (value - range.lowerBound) / span : 0.5))
                }
            }
        }
        return raster
    }
}
