@testable import Analyze
@testable import Formats
import Foundation
@testable import SAECore
@testable import SiteGen
import Testing

/// `CompareBuilder` on copies of the committed site fixtures (ours and the seed's), with their own sites next to
/// them as `sae-report run` writes them.
@Suite struct CompareSiteTests {
    static let saeFixtures = Fixtures.root.deletingLastPathComponent().appendingPathComponent("sae")

    /// A copy of `fixture` at `<root>/<name>/analysis`, its config edited by `edit`; with `site`, its site at
    /// `<root>/<name>/site`.
    private func run(
        _ fixture: URL, in root: URL, _ name: String, site: Bool = false,
        edit: (inout [String: Any]) -> Void = { _ in }
    ) throws -> URL {
        let analysis = root.appendingPathComponent("\(name)/analysis")
        try FileManager.default.createDirectory(at: analysis.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture, to: analysis)
        try editJSON(try file(analysis, prefix: "config_"), edit)
        if site { try SiteBuilder(analysis: analysis, output: analysis.deletingLastPathComponent().appendingPathComponent("site")).build() }
        return analysis
    }

    private func file(_ directory: URL, prefix: String, in sub: String = "") throws -> URL {
        let folder = directory.appendingPathComponent(sub)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix(prefix) })
        return folder.appendingPathComponent(name)
    }

    private func editJSON(_ url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    /// Decoders for the synthetic runs (24 features, d_in 64): B's first 12 rows are A's rows 12–23 reversed,
    /// scaled (cosine 1); the rest are unrelated directions.
    private static func decoders() -> (FloatTensor, FloatTensor) {
        var rng = SplitMix64(seed: 7)
        func random() -> [Float] { (0..<64).map { _ in Float(Double(rng.next() % 20_001) / 10_000 - 1) } }
        let a = (0..<24).map { _ in random() }
        let b = (0..<24).map { j in j < 12 ? a[23 - j].map { $0 * 2 } : random() }
        return (FloatTensor(shape: [24, 64], values: a.flatMap { $0 }), FloatTensor(shape: [24, 64], values: b.flatMap { $0 }))
    }

    @Test func twoRunsWithSitesCompareWithFlagsDeltasMatchingAndWorkingLinks() throws {
        let root = Fixtures.scratch()
        let a = try run(Fixtures.synthetic, in: root, "a", site: true)
        let b = try run(Fixtures.synthetic, in: root, "b", site: true) { config in
            config["data_path"] = "/data/other-corpus.json"
            config["hook"] = "blocks.9.hook_resid_pre"
            config["model_name"] = "<script>alert(1)</script>"
        }
        try editJSON(try file(b, prefix: "analysis_results_", in: "results")) { results in
            var sparsity = results["sparsity"] as! [String: Any]
            sparsity["l0_mean"] = 66.0
            results["sparsity"] = sparsity
        }
        let saeA = root.appendingPathComponent("sae-a"), saeB = root.appendingPathComponent("sae-b")
        for url in [saeA, saeB] { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        var options = CompareOptions()
        options.saes = [0: saeA, 1: saeB]
        let (decoderA, decoderB) = Self.decoders()
        let site = root.appendingPathComponent("compare")
        let report = try CompareBuilder(runs: [a, b], output: site, options: options) { directory, _ in
            directory.lastPathComponent == "sae-a" ? decoderA : decoderB
        }.build()
        #expect(report.runs == 2 && report.matchedPairs == 1 && report.skippedPairs.isEmpty)

        for path in [
            "index.html", "pair-A-B.html", "matches/A-to-B-1.html", "matches/B-to-A-1.html", "data/A-to-B.csv",
            "data/B-to-A.csv", "img/compare-frequency.png", "img/compare-l0.png", "img/match-A-to-B.png", "assets/style.css",
        ] {
            #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(path).path), "missing \(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("features").path))
        let index = Fixtures.text(site.appendingPathComponent("index.html"))
        #expect(index.contains("Different corpus: A: /data/corpus.json; B: /data/other-corpus.json"))
        #expect(index.contains("Different hook: A: blocks.9.hook_resid_post; B: blocks.9.hook_resid_pre"))
        #expect(index.contains("Different model"))
        #expect(!index.contains("<script>alert") && index.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // l0_mean 59.856796… in A, 66 in B: the delta and its relative size.
        #expect(index.contains("+6.1432 (+10.3%)"))
        #expect(index.contains("12 / 24 (50.0%)"))

        // Best matches: B's planted rows j < 12 are A's rows 23 − j.
        let csv = Fixtures.text(site.appendingPathComponent("data/B-to-A.csv")).split(separator: "\n").dropFirst()
        for line in csv.prefix(12) {
            let fields = line.split(separator: ",")
            #expect(Int(fields[1]) == 23 - Int(fields[0])!, "\(line)")
            #expect(abs(Double(fields[2])! - 1) < 1e-5)
        }
        let pair = Fixtures.text(site.appendingPathComponent("pair-A-B.html"))
        #expect(pair.contains("Unmatched features of"))
        #expect(pair.contains("../a/site/features/"))  // links into A's own site

        // Every link resolves: inside the comparison, or into one of the runs' sites.
        let links = LinkChecker.brokenLinks(in: site)
        #expect(links.checked > 100)
        let outside = links.broken.filter { broken in
            let target = site.appendingPathComponent(broken.link.hasPrefix("../../") ? "matches" : "")
                .appendingPathComponent(broken.link).standardizedFileURL
            let inRunSite =
                target.path.hasPrefix(root.appendingPathComponent("a/site").path + "/")
                || target.path.hasPrefix(root.appendingPathComponent("b/site").path + "/")
            return !(inRunSite && FileManager.default.fileExists(atPath: target.path))
        }
        #expect(outside.isEmpty, "\(outside.prefix(10))")
        #expect(links.broken.count > 24)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["a", "b", "compare", "sae-a", "sae-b"])
    }

    @Test func runsAreComparedByHashWhenBothHaveOneElseByPathOrName() throws {
        let root = Fixtures.scratch()
        let hashes: [String: Any] = ["corpus": "ab12", "model": ["model.safetensors": "cd34"]]
        let a = try run(Fixtures.synthetic, in: root, "a") { $0["hashes"] = hashes }
        let b = try run(Fixtures.synthetic, in: root, "b") { config in
            config["hashes"] = hashes
            config["data_path"] = "/elsewhere/copy-of-corpus.json"
            config["model_name"] = "renamed-copy"
        }
        let c = try run(Fixtures.synthetic, in: root, "c") { $0["hashes"] = ["corpus": "ef56", "model": ["model.safetensors": "cd34"]] }
        func warnings(_ urls: [URL]) throws -> [String] {
            RunFlags.warnings(try urls.enumerated().map { try ComparedRun(index: $0.offset, url: $0.element, site: nil, sae: nil) })
        }
        #expect(try warnings([a, b]).isEmpty)  // same files under another path and name
        let withC = try warnings([a, b, c])
        #expect(withC.count == 1 && withC[0].hasPrefix("Different corpus: A: /data/corpus.json (sha256 ab12…)"))
        // Against the seed's run (no hashes) paths and names decide.
        let seed = try warnings([a, Fixtures.seed])
        #expect(seed.contains { $0.hasPrefix("Different corpus: A: /data/corpus.json (sha256 ab12…); B: sae_core/") })
        #expect(seed.contains { $0.hasPrefix("Different model: A: synthetic-model (files ") && $0.contains("B: qwen3-0.6b") })
        #expect(seed.contains { $0.hasPrefix("Different hook: A: blocks.9.hook_resid_post; B: blocks.9.hook_resid_post") } == false)
    }

    @Test func seedAgainstOursWithoutSAEsSkipsMatchingWithANote() throws {
        let root = Fixtures.scratch()
        let ours = try run(Fixtures.synthetic, in: root, "ours")
        let site = root.appendingPathComponent("compare")
        let report = try CompareBuilder(runs: [ours, Fixtures.seed], output: site) { directory, hashes in
            try RunDecoder.load(directory: directory, recordedHashes: hashes)
        }.build()
        #expect(report.matchedPairs == 0)
        #expect(report.skippedPairs == ["A ↔ B: run A: the SAE recorded as sae_path \"/sae/synthetic\" was not found (give its directory with --sae)"])
        let index = Fixtures.text(site.appendingPathComponent("index.html"))
        #expect(index.contains("Not matched: run A: the SAE recorded as sae_path &quot;/sae/synthetic&quot; was not found"))
        #expect(index.contains("Different model: A: synthetic-model; B: qwen3-0.6b"))
        #expect(index.contains("no site found"))
        #expect(index.contains("0.995248"))  // the seed's loss_recovered, in the seed's blocks
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("pair-A-B.html").path))
        #expect(LinkChecker.brokenLinks(in: site).broken.isEmpty)
    }

    @Test func realSAEsAreMatchedThroughTheRecordedPathAndHashes() throws {
        let root = Fixtures.scratch()
        let sae = Self.saeFixtures.appendingPathComponent("seed-sae-btopk8-l2")
        let hash = try FileHash.sha256(of: sae.appendingPathComponent("weights.pt"))
        func claim256(_ analysis: URL) throws {
            try editJSON(try file(analysis, prefix: "SUMMARY_")) { $0["n_features"] = 256 }
            try FileManager.default.removeItem(at: analysis.appendingPathComponent("matrices"))  // shaped for 24 features
        }
        let a = try run(Fixtures.synthetic, in: root, "a") { config in
            config["sae_path"] = sae.path
            config["hashes"] = ["sae": ["weights.pt": hash]]
        }
        let b = try run(Fixtures.synthetic, in: root, "b") { config in
            config["sae_path"] = sae.path
            config["hashes"] = ["sae": ["weights.pt": String(repeating: "0", count: 64)]]
        }
        try claim256(a)
        try claim256(b)
        let load: DecoderLoader = { try RunDecoder.load(directory: $0, recordedHashes: $1) }
        let site = root.appendingPathComponent("compare")
        let report = try CompareBuilder(runs: [a, b, a], output: site, loadDecoder: load).build()
        // B's recorded hash does not match the SAE at its path: B's pairs are skipped; A against itself matches.
        #expect(report.matchedPairs == 1)
        #expect(report.skippedPairs.count == 2 && report.skippedPairs.allSatisfy { $0.contains("changed since the run") })
        let pair = Fixtures.text(site.appendingPathComponent("pair-A-C.html"))
        #expect(pair.contains("256 / 256 (100.0%)"))
        let index = Fixtures.text(site.appendingPathComponent("index.html"))
        #expect(index.contains("Runs A, C analysed the same SAE"))

        // The same SAE against a run that claims 24 features is not the SAE that run analysed.
        let c = try run(Fixtures.synthetic, in: root, "c") { $0["sae_path"] = sae.path }
        let second = try CompareBuilder(runs: [a, c], output: root.appendingPathComponent("compare2"), loadDecoder: load).build()
        #expect(second.skippedPairs == ["A ↔ B: run B: the SAE has 256 features but the run has 24: it is not the SAE the run analysed"])
    }

    @Test func requiredMatchingThatCannotHappenFailsAndLeavesNothing() throws {
        let root = Fixtures.scratch()
        let ours = try run(Fixtures.synthetic, in: root, "ours")
        var options = CompareOptions()
        options.matching = .require
        let site = root.appendingPathComponent("compare")
        do {
            try CompareBuilder(runs: [ours, Fixtures.seed], output: site, options: options) { _, _ in
                Issue.record("no SAE should be read")
                return FloatTensor(shape: [1, 1], values: [1])
            }.build()
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.description.contains("cannot match the features of run A (--match require)"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["ours"])
    }

    @Test func badInputsAreInputErrors() throws {
        let root = Fixtures.scratch()
        let a = try run(Fixtures.synthetic, in: root, "a", site: true)
        let out = root.appendingPathComponent("compare")
        func fails(_ text: String, _ runs: [URL], output: URL = out, _ configure: (inout CompareOptions) -> Void = { _ in }) {
            var options = CompareOptions()
            configure(&options)
            do {
                try CompareBuilder(runs: runs, output: output, options: options).build()
                Issue.record("expected an error containing \(text)")
            } catch let error as InputError {
                #expect(error.description.contains(text), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        fails("at least two analysis directories, got 1", [a])
        fails("nope: not a directory", [a, root.appendingPathComponent("nope")])
        fails("between -1 and 1", [a, Fixtures.seed]) { $0.threshold = 1.5 }
        fails("run C, but there are only 2 runs", [a, Fixtures.seed]) { $0.sites = [2: a] }
        fails("no index.html", [a, Fixtures.seed]) { $0.sites = [1: root] }
        fails("overwrite or sit inside run A's site", [a, Fixtures.seed], output: root.appendingPathComponent("a/site"))
        fails("overwrite or sit inside run A's analysis", [a, Fixtures.seed], output: a.appendingPathComponent("cmp"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["a"])
        // An output of `sae-report run` (analysis/ + site/) is accepted as a run.
        try CompareBuilder(runs: [a.deletingLastPathComponent(), Fixtures.seed], output: out).build()
        #expect(Fixtures.text(out.appendingPathComponent("index.html")).contains("a/site/index.html"))
    }
}

/// `compare` finds each run's site through the record `sae-report site` leaves, wherever the site was written.
@Suite struct CompareSiteLocationTests {
    private func analysis(in root: URL, _ name: String) throws -> URL {
        let url = root.appendingPathComponent("\(name)/analysis")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.synthetic, to: url)
        return url
    }

    private func site(of analysis: URL, at output: URL) throws {
        var builder = SiteBuilder(analysis: analysis, output: output)
        builder.recordsLocation = true
        #expect(try builder.build().recordedLocation)
    }

    @Test func aSiteWrittenAnywhereIsFoundThroughTheRecord() throws {
        let root = Fixtures.scratch()
        let a = try analysis(in: root, "a")
        let elsewhere = root.appendingPathComponent("published/sites/run-a")
        try site(of: a, at: elsewhere)
        let locations = SiteLocations.read(analysis: a)
        #expect(locations.sites.map(\.path) == [elsewhere.standardizedFileURL.path])
        #expect(locations.sites.first?.relative == "../../published/sites/run-a")
        #expect(SiteRecord.read(site: elsewhere)?.timestamp == "20260101_120000")
        let run = try ComparedRun(index: 0, url: a, site: nil, sae: nil)
        #expect(run.site?.standardizedFileURL.path == elsewhere.standardizedFileURL.path)

        // Moved together with its site, the run is still found through the relative path.
        let moved = root.appendingPathComponent("moved")
        try FileManager.default.createDirectory(at: moved, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: root.appendingPathComponent("a"), to: moved.appendingPathComponent("a"))
        try FileManager.default.moveItem(at: root.appendingPathComponent("published"), to: moved.appendingPathComponent("published"))
        let movedRun = try ComparedRun(index: 0, url: moved.appendingPathComponent("a/analysis"), site: nil, sae: nil)
        #expect(movedRun.site?.standardizedFileURL.path == moved.appendingPathComponent("published/sites/run-a").path)

        // The comparison links into it.
        let b = try analysis(in: root, "b")
        var options = CompareOptions()
        options.matching = .off
        let compare = root.appendingPathComponent("compare")
        try CompareBuilder(runs: [moved.appendingPathComponent("a/analysis"), b], output: compare, options: options).build()
        let index = Fixtures.text(compare.appendingPathComponent("index.html"))
        #expect(index.contains("href=\"moved/published/sites/run-a/index.html\"") || index.contains("moved/published/sites/run-a/index.html"))
        #expect(index.contains("no site found"))  // b has none
    }

    @Test func aRecordedSiteOfAnotherRunIsNotLinked() throws {
        let root = Fixtures.scratch()
        let a = try analysis(in: root, "a")
        let output = root.appendingPathComponent("site-a")
        try site(of: a, at: output)
        var record = try #require(SiteRecord.read(site: output))
        record.timestamp = "20250101_000000"
        try record.write(into: output)
        #expect(try ComparedRun(index: 0, url: a, site: nil, sae: nil).site == nil)
    }

    @Test func rebuildingPutsTheNewestSiteFirstAndDropsVanishedOnes() throws {
        let root = Fixtures.scratch()
        let a = try analysis(in: root, "a")
        let first = root.appendingPathComponent("one"), second = root.appendingPathComponent("two")
        try site(of: a, at: first)
        try site(of: a, at: second)
        #expect(SiteLocations.read(analysis: a).sites.map(\.path) == [second.path, first.path])
        try FileManager.default.removeItem(at: second)
        try site(of: a, at: first)
        #expect(SiteLocations.read(analysis: a).sites.map(\.path) == [first.path])
    }
}
