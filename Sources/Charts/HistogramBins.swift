import Foundation

/// Bin counts: `counts[i]` covers `[edges[i], edges[i+1])`.
public struct HistogramBins: Decodable, Sendable {
    public var edges: [Double]
    public var counts: [Double]

    public init(edges: [Double], counts: [Double]) {
        self.edges = edges
        self.counts = counts
    }

    /// True when the bins are equal in log space (ratios of successive edges agree within 1%), as our
    /// per-feature activation histograms are.
    public var hasLogSpacedEdges: Bool {
        guard edges.count >= 3, edges.allSatisfy({ $0 > 0 }) else { return false }
        let ratios = zip(edges.dropFirst(), edges).map { $0 / $1 }
        return ratios[0] > 1.0001 && ratios.allSatisfy { abs($0 / ratios[0] - 1) < 0.01 }
    }

    /// True when the edges and counts agree (one more edge than counts, edges ascending and finite).
    public var isWellFormed: Bool {
        !counts.isEmpty && edges.count == counts.count + 1 && edges.allSatisfy(\.isFinite)
            && zip(edges, edges.dropFirst()).allSatisfy { $0 <= $1 } && counts.allSatisfy { $0.isFinite && $0 >= 0 }
    }
}
