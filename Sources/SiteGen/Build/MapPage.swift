import Foundation

/// `map.html`: every feature at its position on the feature map (`matrices/feature_map_<ts>.npy`) as a link in an
/// inline SVG, coloured by cluster and sized by frequency, so navigating needs no script; `assets/map.js` adds the
/// search highlighting over the index data (`data/features.js`).
enum MapPage {
    /// Cluster colours (`.c0` … in style.css); features without a cluster are grey (`.cn`).
    static let paletteSize = 12
    /// The SVG's width in user units; the height follows the map's aspect ratio.
    static let width = 1000.0

    static func write(entries: [IndexEntry], data: SiteData, renderer: PageRenderer, site: URL) throws {
        var context: [String: Any] = ["title": "Feature map", "root": "", "site": data.siteContext]
        if let map = try data.directory.featureMapURL.map({ try FeatureMapCoordinates.load($0, dSae: data.dSae) }) {
            let (svg, height) = svg(map, entries: entries)
            context["map"] = ["svg": svg, "n": NumberFormat.grouped(map.dSae), "height": String(Int(height))]
        }
        try SiteOutput.write(try renderer.render("map", context), to: site.appendingPathComponent("map.html"))
    }

    /// The points as SVG markup (largest first, so small points stay on top and clickable) and the view height.
    static func svg(_ map: FeatureMapCoordinates, entries: [IndexEntry]) -> (String, Double) {
        let n = map.dSae
        var minX = Float.infinity, maxX = -Float.infinity, minY = Float.infinity, maxY = -Float.infinity
        for i in 0..<n {
            minX = min(minX, map.values[2 * i])
            maxX = max(maxX, map.values[2 * i])
            minY = min(minY, map.values[2 * i + 1])
            maxY = max(maxY, map.values[2 * i + 1])
        }
        let margin = 8.0
        let span = Double(max(maxX - minX, maxY - minY, 1e-6))
        let scale = (width - 2 * margin) / span
        let height = (Double(max(maxY - minY, 0)) * scale + 2 * margin).rounded(.up)
        let radii = (0..<n).map { radius(frequency: $0 < entries.count ? entries[$0].frequency : nil) }
        let order = (0..<n).sorted { radii[$0] != radii[$1] ? radii[$0] > radii[$1] : $0 < $1 }
        var svg = ""
        svg.reserveCapacity(n * 100)
        for i in order {
            let x = margin + Double(map.values[2 * i] - minX) * scale
            let y = margin + Double(maxY - map.values[2 * i + 1]) * scale  // y grows downwards in SVG
            let entry = i < entries.count ? entries[i] : nil
            let colour = entry?.cluster.map { "c\($0 % paletteSize)" } ?? "cn"
            var title = "feature \(i)"
            if let label = entry?.label, !label.isEmpty { title += ": " + HTMLEscaping.escape(label) }
            if let frequency = entry?.frequency { title += " (" + NumberFormat.short(frequency * 100) + "%)" }
            svg += "<a href=\"features/\(i).html\"><circle cx=\"" + NumberFormat.fixed(x, 1) + "\" cy=\""
            svg += NumberFormat.fixed(y, 1) + "\" r=\"" + NumberFormat.fixed(radii[i], 1) + "\" class=\"" + colour
            svg += "\"><title>" + title + "</title></circle></a>\n"
        }
        return (svg, height)
    }

    /// 1.5 at a frequency of 1e-6 or less, up to 5.1 at 1; 1 for features that never fired or have no frequency.
    static func radius(frequency: Double?) -> Double {
        guard let frequency, frequency > 0 else { return 1 }
        return 1.5 + 0.6 * min(max(log10(frequency) + 6, 0), 6)
    }
}
