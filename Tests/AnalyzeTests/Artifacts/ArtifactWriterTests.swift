@testable import Analyze
@testable import Formats
import Foundation
import Testing
import TestSupport

/// Writes a whole analysis directory from the feature fixture. Set `SAE_REPORT_KEEP_ARTIFACTS=DIR` to keep it and
/// verify it with `python3 scripts/fixtures/make_feature_fixtures.py --check DIR/analysis`.
@Suite struct ArtifactWriterTests {
    let input = FeatureFixtures.input

    func writeAnalysis(into parent: URL, timestamp: String = "20261125_120000") throws -> URL {
        let (database, statistics, top) = try FeatureFixtures.database(in: parent)
        let destination = parent.appendingPathComponent("analysis")
        let layout = AnalysisLayout(timestamp: timestamp)
        let staged = try StagedAnalysisDirectory(destination: destination, layout: layout)
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top, decoder: input.decoder,
            unembedding: input.unembedding, options: FeatureFixtures.options,
            similarityMatrix: staged.url(layout.similarityMatrix), cooccurrenceMatrix: staged.url(layout.cooccurrenceMatrix))
        let config: OrderedJSON = .object([
            ("timestamp", .string(timestamp)), ("model_name", .string("fixture")),
            ("tool", .string("sae-report")),
        ])
        let run = AnalysisRunInfo(
            model: "fixture", saePath: "sae", layer: 3, hookName: "hook_resid_post",
            datasetSize: input.text_lengths.count, config: config,
            results: .sparsityOnly(of: database, warnings: ["a warning"]))
        try ArtifactWriter.write(
            staged, run: run, database: database, analysis: analysis,
            tokenTexts: { $0.map { self.input.vocab[Int($0)] } })
        #expect(!FileManager.default.fileExists(atPath: staged.staging.path))
        return destination
    }

    func json(_ url: URL) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed]) }

    @Test func writesTheDocumentedLayout() throws {
        let scratch = try ScratchDirectory()
        let keep = ProcessInfo.processInfo.environment["SAE_REPORT_KEEP_ARTIFACTS"].map { URL(fileURLWithPath: $0) }
        if let keep { try? FileManager.default.removeItem(at: keep); try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true) }
        let directory = try writeAnalysis(into: keep ?? scratch.url)
        let layout = AnalysisLayout(timestamp: "20261125_120000")
        let summary = try #require(try json(directory.appendingPathComponent(layout.summary)) as? [String: Any])
        let files = try #require(summary["files"] as? [String: String])
        #expect(
            Set(files.keys) == [
                "activation_db", "similarity_matrix", "cooccurrence_matrix", "results", "feature_summaries",
                "config", "readme", "token_table", "feature_table", "neighbors", "clusters", "feature_map",
            ])
        let map = try NPY.read(directory.appendingPathComponent(layout.featureMap))
        #expect(map.shape == [input.n_features, 2])
        let neighborArrays = try NPZ.read(directory.appendingPathComponent(layout.neighbors))
        #expect(neighborArrays["correlation_indices"]?.shape == [input.n_features, 32])
        #expect(neighborArrays["correlation_values"]?.shape == [input.n_features, 32])
        for path in files.values { #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path), "\(path)") }
        #expect(summary["n_tokens_processed"] as? Int == input.n_tokens)
        #expect((summary["reconstruction"] as? [String: Any])?["mse"] is NSNull)  // not computed → null
        let expectedTop = (0..<input.n_features).sorted {
            let c = FeatureFixtures.expected.stats.count
            return c[$0] != c[$1] ? c[$0] > c[$1] : $0 < $1
        }.prefix(10)
        #expect(summary["top_features"] as? [Int] == Array(expectedTop))

        let lines = try String(contentsOf: directory.appendingPathComponent(layout.featureSummaries), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == FeatureFixtures.expected.stats.count.filter { $0 > 0 }.count)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in [
            "feature", "activation_frequency", "mean_activation", "top_examples", "activation_count", "frequency",
            "max_activation", "moments", "histogram", "quantile_examples", "logit_effects", "logit_histogram",
            "neighbors", "cluster",
        ] {
            #expect(first[key] != nil, "record key \(key)")
        }
        let example = try #require((first["top_examples"] as? [[String: Any]])?.first)
        for key in [
            "token", "activation", "context", "position", "text_idx", "global_idx", "context_tokens",
            "context_activations", "target_index",
        ] {
            #expect(example[key] != nil, "example key \(key)")
        }
        let want = try #require(FeatureFixtures.expected.features[first["feature"] as! Int]?.top.first)
        #expect(example["context"] as? String == want.context)
        #expect(((first["logit_effects"] as? [String: Any])?["promoted"] as? [Any])?.count == 10)
        let moments = try #require(first["moments"] as? [String: Any])
        #expect(Set(moments.keys) == ["density", "mean", "mean_square", "skew", "kurtosis"])
        #expect(moments["density"] as? Double == first["frequency"] as? Double)
        let logitHistogram = try #require(first["logit_histogram"] as? [String: Any])
        #expect((logitHistogram["counts"] as? [Int])?.reduce(0, +) == input.vocab_size)
        #expect((logitHistogram["edges"] as? [Double])?.count == 51)
        // The shown window is a slice of the whole one, around the same token.
        let shown = try #require(example["context_tokens"] as? [String]), target = try #require(example["target_index"] as? Int)
        #expect(want.context.contains(shown.joined()) && shown[target] == example["token"] as? String)

        let results = try #require(try json(directory.appendingPathComponent(layout.results)) as? [String: Any])
        #expect((results["dead_feature_ids"] as? [Int]) == [60, 61, 62, 63])
        #expect(results["warnings"] as? [String] == ["a warning"])
        let histograms = try #require(results["histograms"] as? [String: Any])
        let frequency = try #require(histograms["feature_log10_frequency"] as? [String: Any])
        #expect((frequency["counts"] as? [Int])?.reduce(0, +) == 60 && frequency["n_never_fired"] as? Int == 4)

        let table = try #require(try json(directory.appendingPathComponent(layout.featureTable)) as? [String: Any])
        #expect(table["activation_count"] as? [Int] == FeatureFixtures.expected.stats.count)
        let clusters = try #require(try json(directory.appendingPathComponent(layout.clusters)) as? [String: Any])
        #expect(clusters["order"] as? [Int] == FeatureFixtures.expected.clustering.order)

        let neighbors = try NPZ.read(directory.appendingPathComponent(layout.neighbors))
        #expect(neighbors["decoder_indices"]?.shape == [64, 32] && neighbors["cooccurrence_values"]?.dtype == .float32)
        #expect(try neighbors["decoder_indices"]?.int32Values().prefix(32).map(Int.init) == FeatureFixtures.expected.decoder_neighbors.indices[0])

        let readme = try String(contentsOf: directory.appendingPathComponent(layout.readme), encoding: .utf8)
        for heading in [
            "# SAE Analysis Report", "## Configuration", "### Sparsity Metrics", "### Dead Features",
            "### Reconstruction Quality", "### Ablation Study", "## Top 10 Most Active Features",
            "## Metrics (seed definition vs. corrected)", "## Warnings", "## Feature Geometry", "## Files",
        ] {
            #expect(readme.contains(heading + "\n"), "README section \(heading)")
        }
        #expect(readme.contains("- Tokens processed: 500") && readme.contains("- Number: 4 / 64"))
    }

    @Test func addsASecondRunToAnExistingDirectory() throws {
        let scratch = try ScratchDirectory()
        let directory = try writeAnalysis(into: scratch.url)
        try FileManager.default.removeItem(at: scratch.url.appendingPathComponent("db"))
        _ = try writeAnalysis(into: scratch.url, timestamp: "20261125_130000")
        for timestamp in ["20261125_120000", "20261125_130000"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(AnalysisLayout(timestamp: timestamp).summary).path))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func writesValidJSONForAnyString() throws {
        let value: OrderedJSON = .object([
            ("s", .string("quote\" back\\ nl\n tab\t ctl\u{1} é")), ("n", .double(.infinity)),
            ("f", .float(0.1)), ("i", .int(-3)), ("a", .array([])), ("o", .object([])),
        ])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(value.pretty.utf8)) as? [String: Any])
        #expect(parsed["s"] as? String == "quote\" back\\ nl\n tab\t ctl\u{1} é")
        #expect(parsed["n"] is NSNull)
        #expect(value.compact == #"{"s":"quote\" back\\ nl\n tab\t ctl\u0001 é","n":null,"f":0.1,"i":-3,"a":[],"o":{}}"#)
    }

    @Test func refusesAnOutputPathThatIsAFile() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.url.appendingPathComponent("taken")
        try Data("x".utf8).write(to: file)
        #expect(throws: InputError.self) {
            _ = try StagedAnalysisDirectory(destination: file, layout: AnalysisLayout(timestamp: "20260101_000000"))
        }
        #expect(AnalysisLayout.timestamp(for: Date(timeIntervalSince1970: 1_765_638_633)) == "20251213_151033")
    }
}
