import Analyze
@testable import Formats
import Foundation
@testable import SiteGen
import Testing

/// The corpus browser and the loss-effect underlines, end to end: a real analysis of the pipeline fixture (tiny Qwen3,
/// seed ReLU SAE, a corpus with HTML and Unicode in it) rendered into a site.
@Suite struct TextPagesTests {
    static let pipeline = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pipeline")

    /// Analyzes the fixture corpus with every text sampled for the browser.
    static func analysis(_ name: String = #function) throws -> URL {
        let output = Fixtures.scratch(name).appendingPathComponent("analysis")
        var options = AnalysisOptions(
            modelDirectory: pipeline.appendingPathComponent("model"),
            saeDirectory: pipeline.deletingLastPathComponent().appendingPathComponent("sae/seed-sae-relu-l2"),
            corpusFile: pipeline.appendingPathComponent("corpus.json"), output: output)
        options.pass.context = 24
        options.pass.batchTokens = 64
        options.pass.ablation = .none
        options.features.topExamples = 5
        options.features.browseTexts = 1000
        options.features.lossEffectExamples = 3
        options.control.threads = 2
        _ = try AnalysisPipeline(options: options).run()
        return output
    }

    @Test func textPagesLinkBothWaysAndEscapeTheCorpus() throws {
        let analysis = try Self.analysis()
        let site = analysis.deletingLastPathComponent().appendingPathComponent("site")
        let report = try SiteBuilder(analysis: analysis, output: site).build()
        let corpus = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.pipeline.appendingPathComponent("corpus.json"))) as! [String]
        let used = corpus.indices.filter { !corpus[$0].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(report.textPages == used.count)
        let (checked, broken) = LinkChecker.brokenLinks(in: site)
        #expect(checked > 0 && broken.isEmpty, "broken: \(broken.prefix(5))")
        #expect(Fixtures.text(site.appendingPathComponent("features.html")).contains("href=\"texts/index.html\">Texts</a>"))
        let index = Fixtures.text(site.appendingPathComponent("texts/index.html"))
        #expect(index.contains("href=\"17.html\""))

        // The text with markup in it: escaped, one anchor per token, no script but ours.
        let page = Fixtures.text(site.appendingPathComponent("texts/17.html"))
        #expect(!page.contains("<script>alert") && !page.contains("<b>") && !page.contains("</textarea>"))
        #expect(page.contains("&lt;") && page.contains("&gt;") && page.contains("&amp;") && page.contains("&quot;"))
        #expect(page.components(separatedBy: "<script").count - 1 == 1 && page.contains("<script src=\"../assets/tips.js\"></script>"))
        #expect(page.contains("id=\"t0\"") && page.contains("tabindex=\"0\"") && page.contains("<span class=\"pop\">"))

        // Feature pages link to tokens of the texts, and every linked anchor exists.
        var linked = 0, withEffects = 0
        let pattern = try NSRegularExpression(pattern: #"href="\.\./texts/(\d+)\.html#t(\d+)""#)
        for name in try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("features").path) {
            let html = Fixtures.text(site.appendingPathComponent("features/\(name)"))
            for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
                let text = String(html[Range(match.range(at: 1), in: html)!]), token = String(html[Range(match.range(at: 2), in: html)!])
                #expect(Fixtures.text(site.appendingPathComponent("texts/\(text).html")).contains("id=\"t\(token)\""))
                linked += 1
            }
            if html.contains("data-dloss=\"") {
                withEffects += 1
                #expect(html.contains("class=\"note legend-loss\""))
            }
        }
        #expect(linked > 20 && withEffects > 5, "\(linked) links into texts, \(withEffects) pages with loss effects")
    }

    @Test func malformedTextsFileIsOneClearError() throws {
        let analysis = try Self.analysis()
        let url = try #require(
            try FileManager.default.contentsOfDirectory(atPath: analysis.appendingPathComponent("results").path)
                .first { $0.hasPrefix("texts_") }
                .map { analysis.appendingPathComponent("results/\($0)") })
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var texts = document["texts"] as! [[String: Any]]
        texts[0]["features"] = [[999_999]] + (texts[0]["features"] as! [[Int]]).dropFirst()
        document["texts"] = texts
        try JSONSerialization.data(withJSONObject: document).write(to: url)
        let site = analysis.deletingLastPathComponent().appendingPathComponent("site")
        #expect {
            try SiteBuilder(analysis: analysis, output: site).build()
        } throws: { error in
            "\(error)".contains(url.lastPathComponent) && "\(error)".contains("not ids in 0..<256")
        }
        #expect(!FileManager.default.fileExists(atPath: site.path))
    }

    /// A run without texts (the seed's, or `--browse-texts 0`) has no browser and no link to one.
    @Test func seedRunHasNoTextPages() throws {
        let site = Fixtures.scratch().appendingPathComponent("site")
        let report = try SiteBuilder(analysis: Fixtures.seed, output: site).build()
        #expect(report.textPages == 0)
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("texts").path))
        #expect(!Fixtures.text(site.appendingPathComponent("index.html")).contains("texts/index.html"))
    }
}
