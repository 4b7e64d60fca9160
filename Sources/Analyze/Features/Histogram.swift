import Foundation

/// Bin edges and counts: `counts[i]` covers `[edges[i], edges[i+1])`, the last bin also holds `edges.last`
/// (numpy's `histogram` convention).
public struct Histogram: Equatable, Sendable {
    public var edges: [Double]
    public var counts: [Int]

    public init(edges: [Double], counts: [Int]) {
        precondition(edges.count == counts.count + 1)
        self.edges = edges
        self.counts = counts
    }

    /// `bins` log-spaced bins from `lower` to `upper` (both > 0): `edges = 10^linspace(log10 lower, log10 upper)`
    /// with the end points set exactly, so the extremes always fall inside. One bin `[v, v]` when they are equal.
    public static func logSpaced(from lower: Double, to upper: Double, bins: Int) -> Histogram {
        precondition(lower > 0 && upper >= lower && bins > 0)
        guard upper > lower else { return Histogram(edges: [lower, upper], counts: [0]) }
        let a = log10(lower), b = log10(upper)
        let step = (b - a) / Double(bins)
        var edges = (0...bins).map { pow(10, a + Double($0) * step) }
        edges[0] = lower
        edges[bins] = upper
        return Histogram(edges: edges, counts: Array(repeating: 0, count: bins))
    }

    /// The bin holding `value`, or nil outside `[edges.first, edges.last]`. For log-spaced edges a guess from the
    /// logarithm is corrected against the edges, so the result equals a search of the edges.
    public func bin(ofLogSpaced value: Double) -> Int? {
        edges.withUnsafeBufferPointer { Self.logSpacedBin(of: value, edges: $0) }
    }

    /// `bin(ofLogSpaced:)` over a buffer of edges (for hot loops over many features' edges).
    @inlinable
    public static func logSpacedBin(of value: Double, edges: UnsafeBufferPointer<Double>) -> Int? {
        let bins = edges.count - 1
        guard value >= edges[0], value <= edges[bins] else { return nil }
        guard bins > 1 else { return 0 }
        let lower = log10(edges[0]), span = log10(edges[bins]) - lower
        var index = min(max(Int((log10(value) - lower) / span * Double(bins)), 0), bins - 1)
        while index > 0 && value < edges[index] { index -= 1 }
        while index < bins - 1 && value >= edges[index + 1] { index += 1 }
        return index
    }

    /// `bins` equal-width bins from the smallest to the largest of `values` with numpy's `histogram(values, bins)`
    /// edges and bin choice (one bin `[v, v]` when all values are equal). Non-finite values are not counted; with
    /// no finite value the histogram is one empty bin `[0, 0]`.
    public static func linear(_ values: UnsafeBufferPointer<Float>, bins: Int) -> Histogram {
        var lower = Float.infinity, upper = -Float.infinity
        for value in values where value.isFinite {
            if value < lower { lower = value }
            if value > upper { upper = value }
        }
        guard lower <= upper else { return Histogram(edges: [0, 0], counts: [0]) }
        return linear(values, bins: bins, lower: lower, upper: upper)
    }

    /// `linear(_:bins:)` when the smallest and largest finite values are already known.
    ///
    /// The edges are numpy's, in Double; a Float value `v` is binned exactly as by comparing `Double(v)` with them,
    /// but in Float: each edge is replaced by the smallest Float at or above it (`v ≥ edge ⇔ v ≥ that Float`), the
    /// bin is guessed from the position in the range and moved to the edges that hold it. Four interleaved sets of
    /// counters keep runs of equal bins (most of a logit row sits in a few central bins) from waiting on each
    /// other's increments.
    public static func linear(_ values: UnsafeBufferPointer<Float>, bins: Int, lower: Float, upper: Float) -> Histogram {
        precondition(bins > 0)
        guard lower.isFinite, upper.isFinite, lower <= upper else { return linear(values, bins: bins) }
        let low = Double(lower), high = Double(upper)
        let n = upper > lower ? bins : 1
        let step = (high - low) / Double(n)
        var edges = (0...n).map { low + Double($0) * step }
        edges[n] = high
        // thresholds[b] for b in 1..<n is edge b as a Float threshold; thresholds[0] = −∞ and thresholds[n] = +∞
        // so the moves never leave 0..<n.
        var thresholds = edges.map(Self.smallestFloat(atOrAbove:))
        thresholds[0] = -.infinity
        thresholds[n] = .infinity
        let scale = upper > lower ? Float(Double(n) / (high - low)) : 0
        let lanes = 4
        var counts = [Int](repeating: 0, count: n)
        var laneCounts = [UInt32](repeating: 0, count: lanes * n)
        thresholds.withUnsafeBufferPointer { thresholds in
            laneCounts.withUnsafeMutableBufferPointer { laneCounts in
                let t = thresholds.baseAddress!, c = laneCounts.baseAddress!
                // The guess's error is a few ulps of the bin count (n·2⁻²³ bins), so one move each way reaches the
                // bin; the moves are written as arithmetic so they compile to flag moves, not branches (values near
                // an edge would defeat the branch predictor).
                @inline(__always) func bin(_ v: Float) -> Int {
                    // (v − lower)·scale is in [0, n(1 + 2⁻²²)], so the conversion cannot overflow.
                    var index = Int(UInt32(bitPattern: Int32((v - lower) * scale)))
                    index = index < n ? index : n &- 1
                    index &-= v < t[index] ? 1 : 0
                    index &+= v >= t[index &+ 1] ? 1 : 0
                    return index
                }
                guard let p = values.baseAddress else { return }
                let count = values.count, whole = count - count % lanes
                let c1 = c + n, c2 = c + 2 &* n, c3 = c + 3 &* n
                var i = 0
                while i < whole {
                    let v0 = p[i], v1 = p[i &+ 1], v2 = p[i &+ 2], v3 = p[i &+ 3]
                    // NaN and out-of-range values fail both comparisons and are not counted.
                    if v0 >= lower && v0 <= upper { c[bin(v0)] &+= 1 }
                    if v1 >= lower && v1 <= upper { c1[bin(v1)] &+= 1 }
                    if v2 >= lower && v2 <= upper { c2[bin(v2)] &+= 1 }
                    if v3 >= lower && v3 <= upper { c3[bin(v3)] &+= 1 }
                    i &+= lanes
                }
                while i < count {
                    let v = p[i]
                    if v >= lower && v <= upper { c[bin(v)] &+= 1 }
                    i &+= 1
                }
            }
        }
        for lane in 0..<lanes { for b in 0..<n { counts[b] += Int(laneCounts[lane * n + b]) } }
        return Histogram(edges: edges, counts: counts)
    }

    /// The smallest Float `f` with `Double(f) ≥ x`, so that `v ≥ x ⇔ v ≥ f` for every Float `v`.
    static func smallestFloat(atOrAbove x: Double) -> Float {
        var f = Float(x)  // nearest; its neighbour below is then below x
        if Double(f) < x { f = f.nextUp }
        return f
    }
}
