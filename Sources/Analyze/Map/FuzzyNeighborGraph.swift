import Foundation

/// UMAP's fuzzy simplicial set of a k-nearest-neighbour graph (McInnes et al. 2018, §3; umap-learn's
/// `smooth_knn_dist` and `fuzzy_simplicial_set`): each point's distances are shifted by its nearest nonzero
/// distance `ρᵢ` and scaled by the `σᵢ` for which `Σⱼ exp(−max(0, dᵢⱼ − ρᵢ)/σᵢ) = log₂(k + 1)` (umap-learn's
/// `n_neighbors` counts the point itself), giving directed memberships `wᵢⱼ = exp(−max(0, dᵢⱼ − ρᵢ)/σᵢ)`, which
/// the fuzzy union `a + b − a·b` combines into a symmetric graph.
public struct FuzzyNeighborGraph: Sendable {
    /// Every edge in both directions, sorted by (head, tail).
    public var heads: [Int32]
    public var tails: [Int32]
    public var weights: [Float]
    public let pointCount: Int

    /// `neighbors(i)` lists point `i`'s nearest other points with their distances, nearest first (ids out of
    /// range and non-finite distances are skipped).
    public init(pointCount: Int, neighbors: (Int) -> [(point: Int, distance: Double)]) {
        self.pointCount = pointCount
        var directed: [(key: UInt64, weight: Float)] = []
        for i in 0..<pointCount {
            let list = neighbors(i).filter { $0.point >= 0 && $0.point < pointCount && $0.point != i && $0.distance.isFinite }
            guard !list.isEmpty else { continue }
            let distances = list.map { max(0, $0.distance) }
            let rho = distances.filter { $0 > 0 }.min() ?? 0
            let sigma = Self.sigma(distances: distances, rho: rho, target: log2(Double(list.count + 1)))
            for (neighbor, d) in zip(list, distances) {
                let w = d - rho > 0 ? exp(-(d - rho) / sigma) : 1
                directed.append((UInt64(i) << 32 | UInt64(neighbor.point), Float(w)))
            }
        }
        // The fuzzy union: w(i,j) and w(j,i) into one symmetric weight, both directions kept.
        var undirected: [UInt64: (Float, Float)] = [:]
        undirected.reserveCapacity(directed.count)
        for (key, w) in directed {
            let i = key >> 32, j = key & 0xFFFF_FFFF
            let pair = min(i, j) << 32 | max(i, j)
            var entry = undirected[pair] ?? (0, 0)
            if i < j { entry.0 = w } else { entry.1 = w }
            undirected[pair] = entry
        }
        var edges: [(UInt64, Float)] = []
        edges.reserveCapacity(undirected.count * 2)
        for (pair, (a, b)) in undirected {
            let w = a + b - a * b
            guard w > 0 else { continue }
            let i = pair >> 32, j = pair & 0xFFFF_FFFF
            edges.append((pair, w))
            edges.append((j << 32 | i, w))
        }
        edges.sort { $0.0 < $1.0 }
        heads = edges.map { Int32(truncatingIfNeeded: $0.0 >> 32) }
        tails = edges.map { Int32(truncatingIfNeeded: $0.0 & 0xFFFF_FFFF) }
        weights = edges.map(\.1)
    }

    /// umap-learn's binary search for `σ` (64 steps, tolerance 1e-5, at least 1e-3 of the mean distance).
    static func sigma(distances: [Double], rho: Double, target: Double) -> Double {
        var lo = 0.0, hi = Double.infinity, mid = 1.0
        for _ in 0..<64 {
            var sum = 0.0
            for d in distances { sum += d - rho > 0 ? exp(-(d - rho) / mid) : 1 }
            if abs(sum - target) < 1e-5 { break }
            if sum > target {
                hi = mid
                mid = (lo + hi) / 2
            } else {
                lo = mid
                mid = hi == .infinity ? mid * 2 : (lo + hi) / 2
            }
        }
        // The point itself is umap-learn's first neighbour, at distance 0, and counts in the mean.
        let mean = distances.reduce(0, +) / Double(distances.count + 1)
        return max(mid, 1e-3 * mean, 1e-12)
    }
}
