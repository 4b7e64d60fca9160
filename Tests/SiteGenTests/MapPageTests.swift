import Foundation
@testable import SiteGen
import Testing

/// `map.html`: one link per feature at its feature-map position, coloured by cluster, with escaped titles, the
/// search box's script, and a plain note when the run has no map.
@Suite struct MapPageTests {
    @Test func everyFeatureIsALinkOnTheMap() throws {
        let out = Fixtures.scratch(#function).appendingPathComponent("site")
        try SiteBuilder(analysis: Fixtures.synthetic, output: out).build()
        let page = Fixtures.text(out.appendingPathComponent("map.html"))
        let links = try NSRegularExpression(
            pattern:
                #"<a href="features/([0-9]+)\.html"><circle cx="([0-9.]+)" cy="([0-9.]+)" r="([0-9.]+)" class="(c[0-9]+|cn)"><title>feature \1[^<]*</title></circle></a>"#
        )
        let matches = links.matches(in: page, range: NSRange(page.startIndex..., in: page))
        let ids = Set(matches.map { Int(page[Range($0.range(at: 1), in: page)!])! })
        #expect(ids == Set(0..<24))
        #expect(matches.count == 24)
        // Clustered features are coloured by their cluster, the others grey.
        let clusters = try JSONFile.decode(ClusterSet.self, from: Fixtures.synthetic.appendingPathComponent("results/clusters_20260101_120000.json"))
        let member = try #require(clusters.clusters.first?.members.first)
        let cluster = try #require(clusters.clusters.first?.id)
        #expect(page.contains("<a href=\"features/\(member).html\"><circle") && page.contains("class=\"c\(cluster % MapPage.paletteSize)\""))
        #expect(page.contains("<script src=\"data/features.js\"></script>") && page.contains("id=\"map-search\""))
        #expect(page.contains("role=\"status\" aria-live=\"polite\""))
        // Labels with markup appear escaped in the points' titles, never raw.
        let labels = try FeatureLabel.load(Fixtures.synthetic.appendingPathComponent("results/feature_labels_llm.jsonl"))
        let marked = labels.values.compactMap(\.label).filter { $0.contains("<") || $0.contains("&") }
        #expect(!marked.isEmpty)
        for label in marked { #expect(page.contains(HTMLEscaping.escape(label)) && !page.contains(label)) }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("assets/map.js").path))
    }

    @Test func radiusGrowsWithFrequency() {
        #expect(MapPage.radius(frequency: nil) == 1 && MapPage.radius(frequency: 0) == 1)
        #expect(MapPage.radius(frequency: 1e-7) == 1.5 && MapPage.radius(frequency: 1) == 5.1)
        #expect(MapPage.radius(frequency: 1e-3) > MapPage.radius(frequency: 1e-5))
    }

    @Test func runsWithoutAMapSaySo() throws {
        let out = Fixtures.scratch(#function).appendingPathComponent("site")
        try SiteBuilder(analysis: Fixtures.seed, output: out).build()
        let page = Fixtures.text(out.appendingPathComponent("map.html"))
        #expect(page.contains("The feature map was not computed in this run.") && !page.contains("<svg"))
    }
}
