import Formats
import Foundation

/// Everything the pages share, read once from the analysis directory (the per-feature records are streamed
/// separately).
struct SiteData: Sendable {
    let directory: AnalysisDirectory
    let run: RunSummary
    let labels: [Int: FeatureLabel]
    let table: FeatureTable?
    let clusters: ClusterSet?
    let neighbors: FeatureNeighbors?
    /// Cluster id of each feature, from the clusters file (or the feature table).
    let clusterOf: [Int: Int]
    /// Ids of the clusters that get a page; a feature's cluster is linked only if it is one of them.
    let clusterIDs: Set<Int>
    /// The values for the header and footer partials.
    private(set) var siteContext: [String: String]

    var dSae: Int { run.dSae }

    init(directory: AnalysisDirectory) throws {
        self.directory = directory
        run = try RunSummary(directory)
        labels = try directory.labelsURL.map(FeatureLabel.load) ?? [:]
        table = try directory.featureTableURL.map { try JSONFile.decode(FeatureTable.self, from: $0) }
        clusters = try directory.clustersURL.map { try JSONFile.decode(ClusterSet.self, from: $0) }
        let dSae = run.dSae
        neighbors = try directory.neighborsURL.flatMap { try FeatureNeighbors.load($0, dSae: dSae) }
        var clusterOf: [Int: Int] = [:]
        if let table {
            for (feature, cluster) in table.cluster.enumerated() { if let cluster { clusterOf[feature] = cluster } }
        }
        for cluster in clusters?.clusters ?? [] { for member in cluster.members { clusterOf[member] = cluster.id } }
        self.clusterOf = clusterOf
        clusterIDs = Set(clusters?.clusters.map(\.id) ?? [])
        let summary = directory.summary
        siteContext = [
            "model": summary.member("model")?.text ?? "unknown model",
            "hook": summary.member("hook_name")?.text.map { name in
                summary.member("layer")?.integer.map { "layer \($0) \(name)" } ?? name
            } ?? "",
            "timestamp": directory.timestamp,
            "saePath": summary.member("sae_path")?.text ?? "",
            "toolVersion": ToolVersion.string,
            "source": directory.url.lastPathComponent,
        ]
        if directory.textsURL != nil { siteContext["texts"] = "yes" }
    }

    /// `cluster` if it has a page, else nil (a record may name a cluster the clusters file does not have).
    func linkableCluster(_ cluster: Int?) -> Int? {
        cluster.flatMap { clusterIDs.contains($0) ? $0 : nil }
    }

    /// The label text of `feature`, or nil.
    func label(_ feature: Int) -> String? { labels[feature]?.label }

    /// The fraction of tokens on which `record`'s feature fired: ours, or the seed's count over the token count.
    func frequency(of record: FeatureRecord) -> Double? {
        if let frequency = record.frequency { return frequency }
        if let count = record.count, let tokens = run.nTokens, tokens > 0 { return count / Double(tokens) }
        return nil
    }
}
