/// Agglomerative clustering with average linkage (UPGMA), reproducing scipy's `linkage(y, method='average')`
/// output convention: merges sorted by height, each row `(a, b, height, size)` with `a < b`, leaves `0..<n` and
/// the cluster made by row `i` numbered `n + i`.
public struct AverageLinkage: Equatable, Sendable {
    public struct Merge: Equatable, Sendable {
        public var left: Int
        public var right: Int
        public var height: Double
        public var size: Int
    }

    public let leafCount: Int
    public let merges: [Merge]

    /// Clusters `n` items from their full symmetric `n × n` distance matrix (row-major; the diagonal is ignored).
    /// O(n³) time, O(n²) memory: meant for the few hundred features of the global heatmap.
    public init(distances: [Double], count n: Int) {
        precondition(distances.count == n * n)
        leafCount = n
        guard n > 1 else { merges = []; return }
        var d = distances
        var size = [Int](repeating: 1, count: n)
        var active = [Bool](repeating: true, count: n)
        // Merges as pairs of leaf representatives (the surviving slot), before scipy's relabelling.
        var raw: [(Int, Int, Double)] = []
        for _ in 0..<(n - 1) {
            var best = Double.infinity, bi = -1, bj = -1
            for i in 0..<n where active[i] {
                for j in (i + 1)..<n where active[j] && d[i * n + j] < best {
                    best = d[i * n + j]; bi = i; bj = j
                }
            }
            if bi < 0 {  // only infinite/NaN distances left: merge the first two active slots
                let remaining = (0..<n).filter { active[$0] }
                bi = remaining[0]; bj = remaining[1]; best = d[bi * n + bj]
            }
            raw.append((bi, bj, best))
            // Lance–Williams update for average linkage; slot bj now holds the union.
            let si = Double(size[bi]), sj = Double(size[bj])
            for k in 0..<n where active[k] && k != bi && k != bj {
                let merged = (si * d[bi * n + k] + sj * d[bj * n + k]) / (si + sj)
                d[bj * n + k] = merged
                d[k * n + bj] = merged
            }
            size[bj] += size[bi]
            active[bi] = false
        }
        // scipy's `label`: stable sort by height, then name clusters through a union-find over leaves.
        let order = raw.indices.sorted { raw[$0].2 < raw[$1].2 || (raw[$0].2 == raw[$1].2 && $0 < $1) }
        var parent = Array(0..<(2 * n - 1))
        var clusterSize = [Int](repeating: 1, count: 2 * n - 1)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        var merges: [Merge] = []
        for (step, index) in order.enumerated() {
            let x = find(raw[index].0), y = find(raw[index].1)
            let label = n + step
            parent[x] = label
            parent[y] = label
            clusterSize[label] = clusterSize[x] + clusterSize[y]
            merges.append(Merge(left: min(x, y), right: max(x, y), height: raw[index].2, size: clusterSize[label]))
        }
        self.merges = merges
    }

    /// The leaves in dendrogram order (scipy's `leaves_list`): left subtree before right, from the root.
    public var leafOrder: [Int] {
        guard leafCount > 1 else { return Array(0..<leafCount) }
        var order: [Int] = []
        var stack = [2 * leafCount - 2]
        while let node = stack.popLast() {
            if node < leafCount { order.append(node); continue }
            let merge = merges[node - leafCount]
            stack.append(merge.right)
            stack.append(merge.left)
        }
        return order
    }

    /// Flat clusters whose members are all joined at height ≤ `threshold` (scipy `fcluster(criterion='distance')`),
    /// in dendrogram order, each listing its leaves in dendrogram order.
    public func clusters(maximumHeight threshold: Double) -> [[Int]] {
        guard leafCount > 1 else { return leafCount == 1 ? [[0]] : [] }
        var result: [[Int]] = []
        var stack = [2 * leafCount - 2]
        while let node = stack.popLast() {
            if node < leafCount || merges[node - leafCount].height <= threshold {
                result.append(leaves(under: node))
            } else {
                stack.append(merges[node - leafCount].right)
                stack.append(merges[node - leafCount].left)
            }
        }
        return result
    }

    /// At most `count` flat clusters (scipy `fcluster(criterion='maxclust')`): the tree cut below its
    /// `count − 1` highest merges.
    public func clusters(count: Int) -> [[Int]] {
        precondition(count >= 1)
        guard leafCount > count else { return leafOrder.map { [$0] } }
        return clusters(maximumHeight: merges[leafCount - 1 - count].height)
    }

    private func leaves(under node: Int) -> [Int] {
        var result: [Int] = []
        var stack = [node]
        while let next = stack.popLast() {
            if next < leafCount { result.append(next); continue }
            stack.append(merges[next - leafCount].right)
            stack.append(merges[next - leafCount].left)
        }
        return result
    }
}
