/// Piecewise-linear colormaps for heatmaps.
public struct Colormap: Sendable {
    /// Colours at evenly spaced positions from 0 to 1.
    public let stops: [RGB]

    /// Blue – white – red (like matplotlib's RdBu_r), for signed values such as decoder cosine: 0.5 is white.
    public static let diverging = Colormap(stops: [
        RGB(5, 48, 97), RGB(33, 102, 172), RGB(67, 147, 195), RGB(146, 197, 222), RGB(209, 229, 240),
        RGB(247, 247, 247),
        RGB(253, 219, 199), RGB(244, 165, 130), RGB(214, 96, 77), RGB(178, 24, 43), RGB(103, 0, 31),
    ])

    /// White – yellow – orange – dark red (like YlOrRd), for magnitudes such as co-occurrence.
    public static let sequential = Colormap(stops: [
        RGB(255, 255, 255), RGB(255, 237, 160), RGB(254, 217, 118), RGB(254, 178, 76), RGB(253, 141, 60),
        RGB(252, 78, 42), RGB(227, 26, 28), RGB(189, 0, 38), RGB(128, 0, 38),
    ])

    /// The colour at `t`, clamped to [0, 1]; NaN maps to grey.
    public func color(at t: Double) -> RGB {
        guard !t.isNaN else { return RGB(190, 190, 190) }
        let position = min(1, max(0, t)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(position))
        let f = position - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) * (1 - f) + Double(y) * f).rounded()) }
        return RGB(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b))
    }

    /// The colormap as a CSS `linear-gradient` (left to right), for the legend bar next to a heatmap.
    public var cssGradient: String {
        "linear-gradient(to right, " + stops.map { "rgb(\($0.r),\($0.g),\($0.b))" }.joined(separator: ", ") + ")"
    }
}
