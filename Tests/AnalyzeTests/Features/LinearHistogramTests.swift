@testable import Analyze
import Foundation
import Testing

/// `Histogram.linear` bins in Float with split counters; every value must land where a search of the Double edges
/// puts it (`edges[b] ≤ v < edges[b + 1]`, the last bin closed), numpy's rule, including values on an edge.
@Suite struct LinearHistogramTests {
    /// The definition: binary search of the Double edges.
    static func searched(_ values: [Float], edges: [Double]) -> [Int] {
        let n = edges.count - 1
        var counts = [Int](repeating: 0, count: n)
        for value in values {
            let v = Double(value)
            guard v >= edges[0], v <= edges[n] else { continue }
            var lo = 0, hi = n  // the last edge b with edges[b] ≤ v, capped at n − 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if edges[mid] <= v { lo = mid } else { hi = mid }
            }
            counts[min(lo, n - 1)] += 1
        }
        return counts
    }

    @Test(arguments: [1, 2, 7, 50, 64])
    func binsEqualASearchOfTheEdges(bins: Int) {
        var random = SplitMix64(seed: UInt64(bins))
        for trial in 0..<40 {
            let count = 1 + Int(random.next() % 3000)
            let spread = Float(trial % 5 == 0 ? 1e-3 : trial % 5 == 1 ? 1e4 : 1)
            var values = (0..<count).map { _ in (Float(random.next() % 1_000_001) / 500_000 - 1) * spread }
            if trial % 3 == 0 {
                // Values exactly on (the Float nearest) the edges, and their neighbours.
                let h = values.withUnsafeBufferPointer { Histogram.linear($0, bins: bins) }
                for edge in h.edges { values += [Float(edge), Float(edge).nextUp, Float(edge).nextDown] }
            }
            if trial % 7 == 0 { values += [.nan, .infinity, -.infinity] }
            let h = values.withUnsafeBufferPointer { Histogram.linear($0, bins: bins) }
            #expect(h.counts == Self.searched(values, edges: h.edges), "trial \(trial)")
            #expect(h.counts.reduce(0, +) == values.filter(\.isFinite).count)
        }
    }

    @Test func integerEdgesTakeTheirLeftValues() {
        let values = (0...100).map(Float.init)
        let h = values.withUnsafeBufferPointer { Histogram.linear($0, bins: 50) }
        #expect(h.edges == (0...50).map { Double($0 * 2) })
        #expect(h.counts == [Int](repeating: 2, count: 49) + [3])
    }

    @Test func thresholdsAreTheSmallestFloatsAtOrAboveTheEdges() {
        for x in [0.1, -0.1, 1.0, 1e-30, -3.000_000_1, Double(Float(2.5).nextUp) - 1e-12] {
            let f = Histogram.smallestFloat(atOrAbove: x)
            #expect(Double(f) >= x && Double(f.nextDown) < x, "\(x)")
        }
    }
}
