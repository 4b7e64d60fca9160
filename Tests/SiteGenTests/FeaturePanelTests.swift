@testable import Formats
import Foundation
@testable import SiteGen
import Testing

/// The feature page's panels (moments, logit histogram), interval titles and accessibility, and the feature index's
/// named columns, on sites built from the committed fixtures.
@Suite struct FeaturePanelTests {
    static let summaries = Fixtures.synthetic.appendingPathComponent("results/feature_summaries_20260101_120000.jsonl")

    private func build(_ fixture: URL, _ name: String = #function) throws -> URL {
        let out = Fixtures.scratch(name).appendingPathComponent("site")
        try SiteBuilder(analysis: fixture, output: out).build()
        return out
    }

    private func firstRecord() throws -> FeatureRecord {
        let line = try #require(Fixtures.text(Self.summaries).split(separator: "\n").first)
        return try JSONDecoder().decode(FeatureRecord.self, from: Data(line.utf8))
    }

    @Test func momentsAndLogitHistogramPanelsShowTheRecord() throws {
        let site = try build(Fixtures.synthetic)
        let record = try firstRecord()
        let moments = try #require(record.moments)
        let page = Fixtures.text(site.appendingPathComponent("features/\(record.feature).html"))
        #expect(page.contains("<div id=\"moments\" class=\"panel\">") && page.contains("<div id=\"logit-histogram\" class=\"panel\">"))
        for value in [moments.mean, moments.meanSquare, moments.skew, moments.kurtosis] {
            #expect(page.contains(NumberFormat.short(try #require(value))), "moment \(String(describing: value))")
        }
        #expect(page.contains(NumberFormat.percent(try #require(moments.density), 3)))
        #expect(page.contains("Kurtosis (0-centred)") && page.contains("E[a⁴] / E[a²]²"))
        // The chart is inline: a PNG (libpng's signature) in a data: URI, inside the logit-histogram panel.
        let panel = try #require(page.range(of: "<div id=\"logit-histogram\" class=\"panel\">"))
        let src = try #require(page[panel.upperBound...].range(of: "src=\"data:image/png;base64,"))
        let encoded = page[src.upperBound...].prefix { $0 != "\"" }
        let png = try #require(Data(base64Encoded: String(encoded)))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && png.count > 100)
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("img/feature-\(record.feature)-logits.png").path))
        let histogram = try #require(record.logitHistogram)
        #expect(page.contains("over \(NumberFormat.grouped(Int(histogram.counts.reduce(0, +)))) tokens"))
        #expect(page.contains(NumberFormat.short(histogram.edges[0])) && page.contains(NumberFormat.short(histogram.edges[50])))
    }

    @Test func correlatedPanelListsPearsonNeighboursAndNeuronAlignment() throws {
        let site = try build(Fixtures.synthetic)
        let record = try firstRecord()
        let page = Fixtures.text(site.appendingPathComponent("features/\(record.feature).html"))
        let start = try #require(page.range(of: "<div id=\"correlated\" class=\"panel\">"))
        let panel = String(page[start.upperBound...].prefix(4000))
        let correlated = try #require(record.neighbors?.correlation)
        #expect(!correlated.isEmpty)
        for n in correlated.prefix(10) {
            #expect(panel.contains("<a href=\"\(n.feature).html\">\(n.feature)</a></td><td class=\"num\">\(NumberFormat.fixed(n.value, 3))"))
        }
        for a in try #require(record.neuronAlignment) {
            #expect(
                panel.contains(
                    "<td class=\"num\">\(a.dimension)</td><td class=\"num\">\(NumberFormat.fixed(a.value, 3))</td>"
                        + "<td class=\"num\">\(NumberFormat.percent(a.l1Share, 1))</td>"))
        }
    }

    @Test func intervalGroupsSayWhatShareOfActiveTokensTheyContain() throws {
        let site = try build(Fixtures.synthetic)
        let record = try firstRecord()
        let page = Fixtures.text(site.appendingPathComponent("features/\(record.feature).html"))
        #expect(page.contains("equal-width intervals"))
        for bin in record.intervalExamples ?? [] where !bin.examples.isEmpty {
            let share = NumberFormat.percent(try #require(bin.count) / (try #require(record.count)), 1)
            #expect(page.contains("Interval \(NumberFormat.short(bin.range[0])) – \(NumberFormat.short(bin.range[1])) · contains \(share)"))
        }
    }

    @Test func seedRunPagesSayThePanelsWereNotComputed() throws {
        let site = try build(Fixtures.seed)
        let page = Fixtures.text(site.appendingPathComponent("features/0.html"))
        for id in ["moments", "logit-histogram", "correlated"] {
            let start = try #require(page.range(of: "<div id=\"\(id)\""))
            #expect(page[start.upperBound...].prefix(300).contains("Not computed in this run."))
        }
    }

    @Test func pagesAreNavigableByKeyboardAndScreenReader() throws {
        let site = try build(Fixtures.synthetic)
        #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("assets/feature.js").path))
        let record = try firstRecord()
        let page = Fixtures.text(site.appendingPathComponent("features/\(record.feature).html"))
        #expect(page.contains("<script src=\"../assets/feature.js\"></script>"))
        #expect(page.contains("aria-keyshortcuts=\"n ArrowRight\"") && page.contains("<kbd>n</kbd>"))
        // Every shaded token also says its activation in text.
        let shaded = page.components(separatedBy: "<span class=\"t").count - 1
        #expect(shaded > 0 && page.components(separatedBy: "<span class=\"vh\"> [").count - 1 == shaded)
        // Every navigation landmark on every page is labelled.
        for name in ["index.html", "features.html", "clusters.html", "features/\(record.feature).html", "clusters/0.html"] {
            let html = Fixtures.text(site.appendingPathComponent(name))
            let navs = html.components(separatedBy: "<nav").count - 1
            let labelled = try NSRegularExpression(pattern: "<nav[^>]*aria-label=\"[^\"]+\"")
                .numberOfMatches(in: html, range: NSRange(html.startIndex..., in: html))
            #expect(navs > 0 && navs == labelled, "unlabelled nav in \(name)")
        }
        let index = Fixtures.text(site.appendingPathComponent("features.html"))
        #expect(index.contains("<th scope=\"col\" class=\"num\" aria-sort=\"descending\"><button type=\"button\" data-col=\"frequency\""))
        #expect(index.contains("role=\"status\" aria-live=\"polite\""))
        #expect(!index.contains("<th data-col"))
        let css = Fixtures.text(site.appendingPathComponent("assets/style.css"))
        #expect(css.contains("@media (prefers-color-scheme: dark)"))
    }

    @Test func indexColumnsAreDefinedOnceAndNamedInTheData() throws {
        let site = try build(Fixtures.synthetic)
        let js = Fixtures.text(site.appendingPathComponent("data/features.js"))
        let parsed = try JSONSerialization.jsonObject(with: Data(js.drop { $0 != "{" }.dropLast(2).utf8)) as! [String: Any]
        let names = (parsed["columns"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(names == IndexColumn.all.map(\.name))
        let rows = parsed["rows"] as! [[Any]]
        #expect(rows.allSatisfy { $0.count == names.count })
        let index = Fixtures.text(site.appendingPathComponent("features.html"))
        for column in IndexColumn.all where column.kind != .flag { #expect(index.contains("data-col=\"\(column.name)\"")) }
        let script = Fixtures.text(site.appendingPathComponent("assets/index.js"))
        #expect(script.range(of: #"\[[0-9]+\]"#, options: .regularExpression) == nil, "index.js reads a column by position")
    }
}
