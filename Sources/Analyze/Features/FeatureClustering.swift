/// Groups of features that fire together, from average-linkage clustering of `1 − |C|` (C = co-occurrence phi)
/// over the features whose co-occurrence rows vary most, as the seed notebook's clustered heatmap does.
public struct FeatureClustering: Equatable, Sendable {
    public struct Cluster: Equatable, Sendable {
        public var id: Int
        /// Members in dendrogram order.
        public var members: [Int]
        /// Mean co-occurrence and decoder cosine over member pairs (diagonal excluded).
        public var meanCooccurrence: Double
        public var meanDecoderCosine: Double
        /// Tokens that recur in the members' top examples: token id and the number of members that have it.
        public var topTokens: [(tokenID: Int32, count: Int)]

        public static func == (a: Cluster, b: Cluster) -> Bool {
            a.id == b.id && a.members == b.members && a.meanCooccurrence == b.meanCooccurrence
                && a.meanDecoderCosine == b.meanDecoderCosine
                && a.topTokens.map(\.tokenID) == b.topTokens.map(\.tokenID) && a.topTokens.map(\.count) == b.topTokens.map(\.count)
        }
    }

    /// The clustered features (ascending ids; the linkage input order).
    public var features: [Int]
    /// The clustered features in dendrogram leaf order (the heatmap's axis).
    public var order: [Int]
    public var linkage: AverageLinkage
    /// Reported clusters (size ≥ the minimum), numbered in dendrogram order.
    public var clusters: [Cluster]
    /// Cluster id per feature (`d_sae` entries), nil for features not in a reported cluster.
    public var assignment: [Int?]

    /// Clusters `features` given their co-occurrence matrix `cooccurrence` (`n × n`, in the order of `features`).
    public init(
        features: [Int], cooccurrence: [Float], dSae: Int, cut: FeatureAnalysisOptions.ClusterCut,
        minimumSize: Int, decoderSimilarity: (Int, Int) -> Double, topTokens: (Int) -> [Int32]
    ) {
        let n = features.count
        var distances = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n where i != j {
                distances[i * n + j] = min(max(1 - abs(Double(cooccurrence[i * n + j])), 0), 2)
            }
        }
        self.features = features
        linkage = AverageLinkage(distances: distances, count: n)
        order = linkage.leafOrder.map { features[$0] }
        let groups: [[Int]]
        switch cut {
        case .maximumHeight(let height): groups = linkage.clusters(maximumHeight: height)
        case .count(let count): groups = linkage.clusters(count: count)
        }
        var clusters: [Cluster] = []
        var assignment = [Int?](repeating: nil, count: dSae)
        for group in groups where group.count >= max(1, minimumSize) {
            let id = clusters.count
            var cooc = 0.0, cosine = 0.0, pairs = 0
            for a in group {
                for b in group where a != b {
                    cooc += Double(cooccurrence[a * n + b])
                    cosine += decoderSimilarity(features[a], features[b])
                    pairs += 1
                }
            }
            var memberCounts: [Int32: Int] = [:]
            for leaf in group {
                for token in Set(topTokens(features[leaf])) { memberCounts[token, default: 0] += 1 }
            }
            let shared = memberCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10)
            let members = group.map { features[$0] }
            for member in members { assignment[member] = id }
            clusters.append(
                Cluster(
                    id: id, members: members,
                    meanCooccurrence: pairs > 0 ? cooc / Double(pairs) : .nan,
                    meanDecoderCosine: pairs > 0 ? cosine / Double(pairs) : .nan,
                    topTokens: shared.map { ($0.key, $0.value) }))
        }
        self.clusters = clusters
        self.assignment = assignment
    }
}
