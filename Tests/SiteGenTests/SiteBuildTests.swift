@testable import Formats
import Foundation
@testable import SiteGen
import Testing

@Suite struct SiteBuildTests {
    private func build(_ fixture: URL, _ name: String = #function) throws -> (URL, SiteBuilder.Report) {
        let out = Fixtures.scratch(name).appendingPathComponent("site")
        let report = try SiteBuilder(analysis: fixture, output: out).build()
        return (out, report)
    }

    @Test func syntheticRunBuildsEveryPageWithoutBrokenLinks() throws {
        let (site, report) = try build(Fixtures.synthetic)
        #expect(report.featurePages == 24)
        let table = try JSONFile.decode(FeatureTable.self, from: Fixtures.synthetic.appendingPathComponent("results/feature_table_20260101_120000.json"))
        #expect(report.recordedFeatures == table.activationCount.filter { ($0 ?? 0) > 0 }.count)
        #expect(report.clusterPages == 3)
        for path in [
            "index.html", "features.html", "clusters.html", "data/features.js", "assets/style.css",
            "assets/print.css", "assets/index.js", "features/0.html", "features/23.html", "clusters/0.html",
            "img/feature-frequency.png", "img/l0.png", "img/training_history.png", "img/global-similarity.png",
            "img/cluster-0-cooccurrence.png", "map.html",
        ] {
            #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(path).path), "missing \(path)")
        }
        let links = LinkChecker.brokenLinks(in: site)
        #expect(links.checked > 500)
        #expect(links.broken.isEmpty, "\(links.broken.prefix(10))")
        // No staging directory is left next to the output.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: site.deletingLastPathComponent().path)
        #expect(siblings == ["site"])
    }

    /// A neighbour without a label showed the page's own label: Mustache looks a missing key up the context stack.
    @Test func neighbourRowsShowTheirOwnLabelOrNone() throws {
        let (site, _) = try build(Fixtures.synthetic)
        var labels: [Int: String] = [:]
        for line in Fixtures.text(Fixtures.synthetic.appendingPathComponent("results/feature_labels_llm.jsonl")).split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            labels[object["feature"] as! Int] = object["label"] as? String
        }
        let row = #/<tr><td><a href="(\d+)\.html">\d+</a></td><td class="num">[^<]*</td><td class="lbl">([^<]*)</td></tr>/#
        var unlabelledRows = 0
        for page in 0..<24 {
            let html = Fixtures.text(site.appendingPathComponent("features/\(page).html"))
            for match in html.matches(of: row) {
                let neighbour = Int(match.output.1)!
                let shown = [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")].reduce(String(match.output.2)) {
                    $0.replacingOccurrences(of: $1.0, with: $1.1)
                }
                #expect(shown == (labels[neighbour] ?? ""), "features/\(page).html, neighbour \(neighbour)")
                if labels[neighbour] == nil && labels[page] != nil { unlabelledRows += 1 }
            }
        }
        #expect(unlabelledRows > 0)  // the case that went wrong occurs in the fixture
    }

    @Test func corpusStringsAreEscapedEverywhere() throws {
        let (site, _) = try build(Fixtures.synthetic)
        let pages = try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("features").path)
        for page in pages {
            let page_ = Fixtures.text(site.appendingPathComponent("features/\(page)"))
            // Our own keyboard-navigation script is the only one.
            let ours = "<script src=\"../assets/feature.js\"></script>", tips = "<script src=\"../assets/tips.js\"></script>"
            #expect(page_.components(separatedBy: ours).count == 2, "\(page) lacks its navigation script")
            #expect(page_.components(separatedBy: tips).count == 2, "\(page) lacks its tooltip script")
            let html = page_.replacingOccurrences(of: ours, with: "").replacingOccurrences(of: tips, with: "")
            #expect(!html.contains("<script"), "\(page) has a script tag")
            #expect(!html.contains("<b>") && !html.contains("<!--") && !html.contains("]]>"), "\(page) has unescaped corpus markup")
            // Inline histogram PNGs, loss-effect tooltips and the correlated panel included.
            #expect(html.utf8.count <= 40_000, "\(page) is \(html.utf8.count) bytes")
        }
        let sample = Fixtures.text(site.appendingPathComponent("features/0.html"))
        #expect(sample.contains("class=\"t tgt\""))
        // The README's raw HTML is dropped and its text escaped.
        let summary = Fixtures.text(site.appendingPathComponent("index.html"))
        #expect(!summary.contains("<script"))
        #expect(summary.contains("hook mismatch: the SAE was trained on blocks.9.hook_resid_post &lt;and&gt;"))
        // JS data: parseable after stripping the assignment, and free of sequences that end a script or a line.
        let js = Fixtures.text(site.appendingPathComponent("data/features.js"))
        #expect(!js.contains("</") && !js.contains("<!--"))
        #expect(!js.unicodeScalars.contains { $0 == "\u{2028}" || $0 == "\u{2029}" })
        let json = js.drop { $0 != "{" }.dropLast(2)
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let rows = parsed["rows"] as! [[Any]]
        #expect(rows.count == 24)
        let columns = (parsed["columns"] as! [[String: Any]]).map { $0["name"] as! String }
        let tokens = try #require(columns.firstIndex(of: "top_tokens"))
        #expect(rows.contains { ($0[tokens] as! String).contains("</script>") || ($0[tokens] as! String).contains("<script>") })
    }

    @Test func seedRunBuildsAndReportsMissingParts() throws {
        let (site, report) = try build(Fixtures.seed)
        #expect(report.featurePages == 4096)
        #expect(report.recordedFeatures == 50)
        #expect(report.clusterPages == 0)
        let summary = Fixtures.text(site.appendingPathComponent("index.html"))
        #expect(summary.contains("The side-by-side metric table was not computed in this run"))
        #expect(summary.contains("<h1>SAE Analysis Report</h1>"))
        #expect(summary.contains("img/training_history.png"))
        #expect(summary.contains("0.995248"))  // loss_recovered from the seed's results
        let clusters = Fixtures.text(site.appendingPathComponent("clusters.html"))
        #expect(clusters.contains("Clusters were not computed in this run."))
        let feature = Fixtures.text(site.appendingPathComponent("features/0.html"))
        #expect(feature.contains("Scientific Terms"))  // the LLM label
        #expect(feature.contains("class=\"seedtok\""))
        #expect(feature.contains("Not computed in this run."))  // histogram, logits, neighbours
        let stub = Fixtures.text(site.appendingPathComponent("features/4000.html"))
        #expect(stub.contains("has no record for this feature"))
        // Stubs of a seed run take the count and mean from the labels file (feature 4000: 59,317 tokens, mean 2.665).
        #expect(stub.contains("59,317") && stub.contains("2.67"))
        #expect(stub.contains("Contextual Use of &#39;The&#39;"))
        let links = LinkChecker.brokenLinks(in: site)
        #expect(links.broken.isEmpty, "\(links.broken.prefix(10))")
    }

    @Test func missingSummaryIsOneInputErrorNamingTheDirectory() throws {
        let dir = Fixtures.scratch()
        let out = dir.appendingPathComponent("site")
        do {
            try SiteBuilder(analysis: dir, output: out).build()
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.path == dir.path)
            #expect(error.message.contains("SUMMARY"))
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func malformedSummaryLineNamesFileAndLineAndLeavesNoOutput() throws {
        let analysis = Fixtures.copy(Fixtures.synthetic)
        let summaries = analysis.appendingPathComponent("results/feature_summaries_20260101_120000.jsonl")
        var lines = Fixtures.text(summaries).split(separator: "\n").map(String.init)
        lines[2] = String(lines[2].prefix(100))  // truncated record
        try lines.joined(separator: "\n").write(to: summaries, atomically: true, encoding: .utf8)
        let out = analysis.deletingLastPathComponent().appendingPathComponent("site")
        do {
            try SiteBuilder(analysis: analysis, output: out).build()
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.path == summaries.path)
            #expect(error.message.hasPrefix("line 3: malformed feature record"))
        }
        let siblings = try FileManager.default.contentsOfDirectory(atPath: analysis.deletingLastPathComponent().path)
        #expect(siblings == ["analysis"])
    }

    @Test func malformedSummaryJSONAndBadMatrixAreInputErrors() throws {
        let analysis = Fixtures.copy(Fixtures.synthetic)
        let matrix = analysis.appendingPathComponent("matrices/feature_similarity_20260101_120000.npy")
        try NPY.write([Float](repeating: 0, count: 6), shape: [2, 3], to: matrix)
        let out = analysis.deletingLastPathComponent().appendingPathComponent("site")
        #expect(throws: InputError.self) { try SiteBuilder(analysis: analysis, output: out).build() }

        let summary = analysis.appendingPathComponent("SUMMARY_20260101_120000.json")
        try Data("{\"n_features\": 24, ".utf8).write(to: summary)
        do {
            try SiteBuilder(analysis: analysis, output: out).build()
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.path == summary.path)
        }
    }

    @Test func outOfRangeFeatureIdIsAnInputError() throws {
        let analysis = Fixtures.copy(Fixtures.synthetic)
        let summaries = analysis.appendingPathComponent("results/feature_summaries_20260101_120000.jsonl")
        try (Fixtures.text(summaries) + "{\"feature\": 24, \"top_examples\": []}\n").write(to: summaries, atomically: true, encoding: .utf8)
        #expect(throws: InputError.self) {
            try SiteBuilder(analysis: analysis, output: analysis.deletingLastPathComponent().appendingPathComponent("s")).build()
        }
    }

    @Test func inconsistentReferencesNeverBecomeBrokenLinks() throws {
        let analysis = Fixtures.copy(Fixtures.synthetic)
        let summaries = analysis.appendingPathComponent("results/feature_summaries_20260101_120000.jsonl")
        var lines = Fixtures.text(summaries).split(separator: "\n").map(String.init)
        lines[0] = lines[0].replacingOccurrences(of: "\"cluster\": 0", with: "\"cluster\": 99")
            .replacingOccurrences(of: "\"decoder\": [{\"feature\": ", with: "\"decoder\": [{\"feature\": 9999, \"value\": 1.0}, {\"feature\": ")
        #expect(lines[0].contains("9999") && lines[0].contains("\"cluster\": 99"))
        try lines.joined(separator: "\n").write(to: summaries, atomically: true, encoding: .utf8)
        let site = analysis.deletingLastPathComponent().appendingPathComponent("site")
        try SiteBuilder(analysis: analysis, output: site).build()
        let links = LinkChecker.brokenLinks(in: site)
        #expect(links.broken.isEmpty, "\(links.broken.prefix(10))")
        #expect(!Fixtures.text(site.appendingPathComponent("data/features.js")).contains(",99,"))
    }

    @Test func rebuildReplacesOurSiteButNeverAForeignDirectory() throws {
        let (site, _) = try build(Fixtures.synthetic)
        try SiteBuilder(analysis: Fixtures.seed, output: site).build()
        #expect(Fixtures.text(site.appendingPathComponent("index.html")).contains("qwen3-0.6b"))
        let foreign = Fixtures.scratch().appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        #expect(throws: InputError.self) { try SiteBuilder(analysis: Fixtures.synthetic, output: foreign).build() }
        #expect(Fixtures.text(foreign.appendingPathComponent("notes.txt")) == "keep me")
    }
}
