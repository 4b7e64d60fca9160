import Charts
import Foundation
import Parallelism

/// The cluster index (`clusters.html`, with the global heatmaps of the first features in clustering order) and
/// one page per cluster with its members and heatmaps of its similarity and co-occurrence sub-matrices.
enum ClusterPages {
    /// The global heatmaps show at most this many features (the start of the clustering order).
    static let globalLimit = 256

    static func write(data: SiteData, renderer: PageRenderer, site: URL) throws -> Int {
        let n = data.dSae
        var context: [String: Any] = ["title": "Clusters", "root": "", "site": data.siteContext]
        guard let set = data.clusters, !set.clusters.isEmpty else {
            try SiteOutput.write(try renderer.render("clusters", context), to: site.appendingPathComponent("clusters.html"))
            return 0
        }
        let clusters = set.clusters.map { cluster in
            var cluster = cluster
            cluster.members = cluster.members.filter { $0 >= 0 && $0 < n }
            return cluster
        }
        let globalIDs = Array(
            (set.order.isEmpty ? clusters.flatMap(\.members) : set.order).filter { $0 >= 0 && $0 < n }
                .prefix(globalLimit))

        // One pass per matrix: map it, cut out every sub-matrix (reading only their pages), unmap it.
        var similarity: [Int: [Float]] = [:], cooccurrence: [Int: [Float]] = [:]
        var globalSimilarity: [Float]?, globalCooccurrence: [Float]?
        if let url = data.directory.similarityURL {
            let matrix = try SquareMatrix(url: url, dSae: n)
            for cluster in clusters where !cluster.members.isEmpty { similarity[cluster.id] = matrix.submatrix(cluster.members) }
            if !globalIDs.isEmpty { globalSimilarity = matrix.submatrix(globalIDs) }
        }
        if let url = data.directory.cooccurrenceURL {
            let matrix = try SquareMatrix(url: url, dSae: n)
            for cluster in clusters where !cluster.members.isEmpty { cooccurrence[cluster.id] = matrix.submatrix(cluster.members) }
            if !globalIDs.isEmpty { globalCooccurrence = matrix.submatrix(globalIDs) }
        }

        context["nClusters"] = String(clusters.count)
        if let method = set.method { context["method"] = method }
        context["globalN"] = String(globalIDs.count)
        let axis = "the first \(globalIDs.count) features in clustering order"
        if let values = globalSimilarity {
            context["globalSimilarity"] = try heatmap(
                values, n: globalIDs.count, cooccurrence: false, file: "img/global-similarity.png",
                site: site, root: "", alt: "Decoder cosine similarity of \(axis)", axis: axis)
        }
        if let values = globalCooccurrence {
            context["globalCooccurrence"] = try heatmap(
                values, n: globalIDs.count, cooccurrence: true, file: "img/global-cooccurrence.png",
                site: site, root: "", alt: "Co-occurrence (phi) of \(axis)", axis: axis)
        }
        context["clusters"] = clusters.map { cluster -> [String: Any] in
            [
                "id": String(cluster.id), "size": String(cluster.members.count),
                "cooc": cluster.meanCooccurrence.map { NumberFormat.fixed($0, 3) } ?? "–",
                "cosine": cluster.meanDecoderCosine.map { NumberFormat.fixed($0, 3) } ?? "–",
                "tokens": cluster.topTokens.prefix(6).map { ["token": $0.token] },
                "preview": cluster.members.prefix(8).map { ["id": String($0)] },
                "more": cluster.members.count > 8 ? "… +\(cluster.members.count - 8)" : "",
            ]
        }
        context["has_clusters"] = true
        try SiteOutput.write(try renderer.render("clusters", context), to: site.appendingPathComponent("clusters.html"))

        let pages = try Parallelism.map(clusters.count) { i -> Int in
            let cluster = clusters[i]
            var page: [String: Any] = [
                "title": "Cluster \(cluster.id)", "root": "../", "site": data.siteContext,
                "id": String(cluster.id), "size": String(cluster.members.count),
            ]
            if i > 0 { page["prev"] = String(clusters[i - 1].id) }
            if i + 1 < clusters.count { page["next"] = String(clusters[i + 1].id) }
            page["cooc"] = cluster.meanCooccurrence.map { NumberFormat.fixed($0, 3) } ?? "–"
            page["cosine"] = cluster.meanDecoderCosine.map { NumberFormat.fixed($0, 3) } ?? "–"
            page["tokens"] = cluster.topTokens.map { ["token": $0.token, "count": String($0.count)] }
            let axis = "the cluster's \(cluster.members.count) members in clustering order"
            if let values = similarity[cluster.id] {
                page["similarity"] = try heatmap(
                    values, n: cluster.members.count, cooccurrence: false,
                    file: "img/cluster-\(cluster.id)-similarity.png", site: site, root: "../",
                    alt: "Decoder cosine similarity between the members of cluster \(cluster.id)", axis: axis)
            }
            if let values = cooccurrence[cluster.id] {
                page["cooccurrence"] = try heatmap(
                    values, n: cluster.members.count, cooccurrence: true,
                    file: "img/cluster-\(cluster.id)-cooccurrence.png", site: site, root: "../",
                    alt: "Co-occurrence (phi) between the members of cluster \(cluster.id)", axis: axis)
            }
            page["members"] = cluster.members.map { id -> [String: Any] in
                let row = data.table?.row(id)
                var member: [String: Any] = [
                    "id": String(id),
                    "frequency": row?.frequency.map { NumberFormat.short($0 * 100) + "%" } ?? "–",
                    "mean": row?.mean.map(NumberFormat.short) ?? "–",
                ]
                member["label"] = data.label(id) ?? ""  // always set: Mustache would find the page's own label
                return member
            }
            try SiteOutput.write(try renderer.render("cluster", page), to: site.appendingPathComponent("clusters/\(cluster.id).html"))
            return 1
        }
        return pages.count
    }

    /// Draws a heatmap PNG and returns the `heatmap` partial's values. Similarity uses the diverging map over
    /// [-1, 1]; co-occurrence the sequential map from 0 to its largest off-diagonal value.
    private static func heatmap(
        _ values: [Float], n: Int, cooccurrence: Bool, file: String, site: URL, root: String,
        alt: String, axis: String
    ) throws -> [String: Any] {
        let range: ClosedRange<Double>
        if cooccurrence {
            var top = 0.0
            for r in 0..<n { for c in 0..<n where r != c && values[r * n + c].isFinite { top = max(top, Double(values[r * n + c])) } }
            range = 0...max(0.05, top)
        } else {
            range = -1...1
        }
        let chart = HeatmapChart(colormap: cooccurrence ? .sequential : .diverging, range: range, maxSide: 480)
        let raster = chart.draw(values, n: n)
        try SiteOutput.write(try PNGWriter.encode(raster), to: site.appendingPathComponent(file))
        return [
            "src": root + file, "side": String(raster.width), "alt": alt, "axis": axis,
            "low": NumberFormat.short(range.lowerBound), "high": NumberFormat.short(range.upperBound),
            "gradient": (cooccurrence ? Colormap.sequential : Colormap.diverging).cssGradient,
        ]
    }
}
