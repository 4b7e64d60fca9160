@testable import Analyze
@testable import Formats
import Foundation
@testable import SAECore
import Testing

/// End to end: `AnalysisPipeline` on the tiny Qwen3 of `Tests/Fixtures/pipeline` (written by
/// `scripts/fixtures/make_pipeline_fixtures.py`) with the seed-format SAEs, against the numbers the script computed with
/// transformers and numpy. The run's options must match the script's (ctx, batch tokens, ablation on every token,
/// a calibration sample covering every batch).
@Suite struct AnalysisPipelineTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let model = fixtures.appendingPathComponent("pipeline/model")
    static let corpus = fixtures.appendingPathComponent("pipeline/corpus.json")
    static let expected =
        try! JSONSerialization.jsonObject(
            with: Data(contentsOf: fixtures.appendingPathComponent("pipeline/expected.json"))) as! [String: Any]

    static func options(sae: String, output: URL?, corpus: URL = corpus, model: URL = model) -> AnalysisOptions {
        var options = AnalysisOptions(
            modelDirectory: model, saeDirectory: fixtures.appendingPathComponent("sae/\(sae)"),
            corpusFile: corpus, output: output)
        options.pass.context = expected["ctx"] as! Int
        options.pass.batchTokens = expected["batch_tokens"] as! Int
        options.pass.ablation = .both
        options.pass.ablationTokens = nil
        options.pass.calibrationTokens = 1 << 20
        options.features.topExamples = 5
        options.control.threads = 2
        return options
    }

    /// A fresh directory to write into; `PIPELINE_TEST_KEEP=DIR` keeps the analyses under DIR instead (for
    /// `scripts/fixtures/make_pipeline_fixtures.py --check`).
    static func outputDirectory(_ name: String) -> (url: URL, cleanup: () -> Void) {
        if let keep = ProcessInfo.processInfo.environment["PIPELINE_TEST_KEEP"] {
            let url = URL(fileURLWithPath: keep).appendingPathComponent(name)
            try? FileManager.default.removeItem(at: url)
            return (url, {})
        }
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-test-\(UUID().uuidString)")
        return (parent.appendingPathComponent(name), { try? FileManager.default.removeItem(at: parent) })
    }

    @Test(arguments: [("btopk", "seed-sae-btopk8-l2", TopKMode?.some(.token)), ("relu", "seed-sae-relu-l2", nil)])
    func matchesReference(key: String, sae: String, topKMode: TopKMode?) throws {
        let (output, cleanup) = Self.outputDirectory(key)
        defer { cleanup() }
        var options = Self.options(sae: sae, output: output)
        options.pass.topKMode = topKMode
        let outcome = try AnalysisPipeline(options: options).run()
        #expect(outcome.directory?.standardizedFileURL == output.standardizedFileURL)
        var comparison = GoldenComparison(directory: output, expected: Self.expected, sae: key)
        try comparison.run()
    }

    /// The CLI's defaults for the rest: zero ablation only and one big batch (696 tokens: the logits of a batch
    /// reach the metrics in several chunks). The token-weighted metrics must not change with the packing, nor the
    /// seed's ablation numbers (4 texts per batch whatever the packing); the seed's per-pool reconstruction numbers
    /// do, so they are not compared here.
    @Test func packingDoesNotChangeTokenMetrics() throws {
        let (output, cleanup) = Self.outputDirectory("btopk-one-batch")
        defer { cleanup() }
        var options = Self.options(sae: "seed-sae-btopk8-l2", output: output)
        options.pass.topKMode = .token
        options.pass.ablation = .zero
        options.pass.batchTokens = 4096
        options.pass.context = Self.expected["ctx"] as! Int
        _ = try AnalysisPipeline(options: options).run()
        var comparison = GoldenComparison(directory: output, expected: Self.expected, sae: "btopk")
        comparison.samePacking = false
        comparison.meanAblation = false
        try comparison.run()
    }

    // MARK: - Bad input: an InputError naming the problem, and nothing left at or beside the output path.

    static func expectInputError(_ options: AnalysisOptions, mentioning parts: [String]) {
        let output = options.control.output!
        var thrown: InputError?
        do {
            _ = try AnalysisPipeline(options: options).run()
        } catch let error as InputError {
            thrown = error
        } catch {
            Issue.record("expected an InputError, got \(error)")
        }
        #expect(thrown != nil)
        for part in parts { #expect(thrown?.description.contains(part) == true, "\(thrown?.description ?? "nil") lacks \(part)") }
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let siblings = (try? FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path)) ?? []
        #expect(
            siblings.filter { $0.contains(".partial") || $0.contains(".columns") || $0.hasSuffix(".lock") }.isEmpty,
            "left over: \(siblings)")
    }

    @Test func aSecondRunOnTheSameOutputIsRefusedWhileTheFirstHoldsIt() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        var first: OutputLock? = try OutputLock(for: output)
        let lockFile = try #require(first?.lockFile)
        #expect(
            throws: InputError(
                "another sae-report run is writing this output; wait for it to end or choose another -o",
                url: output.standardizedFileURL)
        ) {
            try AnalysisPipeline(options: Self.options(sae: "seed-sae-relu-l2", output: output)).run()
        }
        #expect(FileManager.default.fileExists(atPath: lockFile.path))
        first = nil
        #expect(!FileManager.default.fileExists(atPath: lockFile.path))
        let second = try OutputLock(for: output)
        withExtendedLifetime(second) {}
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: [
        (Data("[]".utf8), "the corpus is empty"),
        (Data([0x5B, 0x22, 0xFF, 0xFE, 0x22, 0x5D]), "not valid UTF-8"),
        (Data(#"{"texts": ["a"]}"#.utf8), "expected a JSON list of strings"),
        (Data(#"["a", 3]"#.utf8), "item 1 is not a string"),
        (Data(#"["", "  \n"]"#.utf8), "every text in the corpus is empty or whitespace"),
        (Data(#"["unterminated"#.utf8), "malformed JSON"),
    ])
    func badCorpus(contents: Data, message: String) throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("corpus.json")
        try contents.write(to: corpus)
        Self.expectInputError(
            Self.options(sae: "seed-sae-relu-l2", output: directory.appendingPathComponent("out"), corpus: corpus),
            mentioning: [corpus.path, message])
    }

    @Test func hookMismatch() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = Self.options(sae: "seed-sae-relu-l2", output: directory.appendingPathComponent("out"))
        options.pass.hook = "blocks.1.hook_resid_post"
        Self.expectInputError(options, mentioning: ["blocks.1.hook_resid_post", "blocks.2.hook_resid_post"])
    }

    @Test func saeWidthDiffersFromModel() throws {
        // The pipeline model's files with a config claiming a 128-wide residual stream.
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Self.model, to: model)
        let configURL = model.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
        config["hidden_size"] = 128
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        Self.expectInputError(
            Self.options(sae: "seed-sae-relu-l2", output: directory.appendingPathComponent("out"), model: model),
            mentioning: ["d_in is 64", "128"])
    }

    @Test func missingModelDirectory() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("no-model")
        Self.expectInputError(
            Self.options(sae: "seed-sae-relu-l2", output: directory.appendingPathComponent("out"), model: model),
            mentioning: [model.path])
    }
}

/// Reads one analysis directory back and compares it with expected.json, recording the largest relative error of
/// each metric group (printed, for the record).
struct GoldenComparison {
    let directory: URL
    let expected: [String: Any]
    let reference: [String: Any]
    let key: String
    /// Whether the run packed batches as the script did (`batch_tokens`): the seed's pool metrics depend on it.
    var samePacking = true
    /// Whether the run had mean ablation.
    var meanAblation = true
    private var errors: [String: Double] = [:]

    init(directory: URL, expected: [String: Any], sae: String) {
        self.directory = directory
        self.expected = expected
        self.reference = (expected["saes"] as! [String: Any])[sae] as! [String: Any]
        self.key = sae
    }

    static let rtol = 1e-4
    /// The seed's ablation numbers of the windowed run, by SAE key and variant.
    static let seedAblation =
        (try! JSONSerialization.jsonObject(
            with: Data(contentsOf: AnalysisPipelineTests.fixtures.appendingPathComponent("pipeline/seed_ablation.json")))
        as! [String: Any])["windowed"] as! [String: Any]

    /// |a − e| ≤ rtol·|e| + atol; records the relative error |a − e| / max(|e|, 0.01) under `group`.
    mutating func close(
        _ actual: Double?, _ expectedValue: Double?, _ what: String, group: String, atol: Double = 1e-7,
        rtol: Double = rtol
    ) {
        guard let expectedValue else {
            #expect(actual == nil, "\(key) \(what): expected null, got \(String(describing: actual))")
            return
        }
        guard let actual else {
            Issue.record("\(key) \(what): missing (expected \(expectedValue))")
            return
        }
        let difference = abs(actual - expectedValue)
        errors[group] = max(errors[group] ?? 0, difference / max(abs(expectedValue), 1e-2))
        #expect(difference <= rtol * abs(expectedValue) + atol, "\(key) \(what): \(actual) vs \(expectedValue)")
    }

    func file(_ prefix: String, _ suffix: String, in subdirectory: String) throws -> URL {
        let folder = directory.appendingPathComponent(subdirectory)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }
        try #require(names.count == 1, "\(prefix)*\(suffix) in \(folder.path): \(names)")
        return folder.appendingPathComponent(names[0])
    }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    mutating func run() throws {
        let results = try json(try file("analysis_results_", ".json", in: "results"))
        let metrics = results["metrics"] as! [String: Any]
        let ambiguous = (reference["ambiguous"] as! [Int])
        let totalAmbiguous = Double(ambiguous.reduce(0, +))
        let nTokens = expected["n_tokens"] as! Int

        // Run block.
        let run = results["run"] as! [String: Any]
        #expect(run["n_tokens"] as? Int == nTokens)
        #expect(run["n_texts"] as? Int == expected["n_texts"] as? Int)
        #expect(run["n_texts_used"] as? Int == expected["n_texts_used"] as? Int)
        #expect((run["skipped_texts"] as! [[String: Any]]).map { $0["text_idx"] as! Int } == expected["skipped"] as! [Int])

        for variant in ["all_tokens", "without_first_token"] {
            // Sparsity: an ambiguous firing can move one token's L0 by one.
            let s = ((metrics["sparsity"] as! [String: Any])["metrics"] as! [String: Any])[variant] as! [String: Any]
            let es = (reference["sparsity"] as! [String: Any])[variant] as! [String: Any]
            #expect(s["n_tokens"] as? Int == es["n_tokens"] as? Int)
            let l0Slack = totalAmbiguous / Double(es["n_tokens"] as! Int)
            close(number(s["l0_mean"]), number(es["l0_mean"]), "\(variant) l0_mean", group: "sparsity", atol: 1e-9 + l0Slack)
            close(number(s["l0_std"]), number(es["l0_std"]), "\(variant) l0_std", group: "sparsity", atol: 1e-9 + 10 * l0Slack)
            close(number(s["l1_mean"]), number(es["l1_mean"]), "\(variant) l1_mean", group: "sparsity")
            close(number(s["l1_std"]), number(es["l1_std"]), "\(variant) l1_std", group: "sparsity")
            let counts = s["activation_counts"] as! [Int], expectedCounts = es["activation_counts"] as! [Int]
            try #require(counts.count == expectedCounts.count)
            for f in counts.indices {
                #expect(abs(counts[f] - expectedCounts[f]) <= ambiguous[f], "\(key) \(variant) count of feature \(f)")
            }
            for list in ["dead_feature_ids", "dense_above_10pct", "dense_above_1pct"] {
                let unambiguous = { (ids: [Int]) in ids.filter { ambiguous[$0] == 0 } }
                #expect(unambiguous(s[list] as! [Int]) == unambiguous(es[list] as! [Int]), "\(key) \(variant) \(list)")
            }

            // Reconstruction: ours and the seed's (pools = our batches, reproduced by the script).
            let r = (metrics["reconstruction"] as! [String: Any])[variant] as! [String: Any]
            let er = (reference["reconstruction"] as! [String: Any])[variant] as! [String: Any]
            #expect(r["n_tokens"] as? Int == er["n_tokens"] as? Int)
            for name in [
                "mse_per_element", "mse_per_token", "explained_variance", "cosine_similarity",
                "relative_reconstruction_bias", "l2_ratio", "l2_norm_in", "l2_norm_out",
            ] {
                close(number(r[name]), number(er[name]), "\(variant) \(name)", group: "reconstruction")
            }
            if samePacking {
                close(
                    number(r["explained_variance_legacy"]), number(er["explained_variance_legacy"]),
                    "\(variant) explained_variance_legacy", group: "reconstruction (seed, per pool)")
                let seed = r["seed"] as! [String: Any]
                for name in ["mse", "explained_variance", "cosine_similarity", "original_std", "residual_std"] {
                    close(number(seed[name]), number(er["seed_" + name]), "\(variant) seed \(name)", group: "reconstruction (seed, per pool)")
                }
            }

            // Downstream: CE, KL, loss recovered; the seed's per-batch means.
            let d = ((metrics["downstream"] as! [String: Any])["metrics"] as! [String: Any])[variant] as! [String: Any]
            let ed = (reference["downstream"] as! [String: Any])[variant] as! [String: Any]
            #expect(d["n_targets"] as? Int == ed["n_targets"] as? Int)
            #expect(d["n_positions"] as? Int == ed["n_positions"] as? Int)
            for name in ["ce_baseline", "ce_spliced", "ce_zero_ablated", "loss_recovered_zero"] {
                close(number(d[name]), number(ed[name]), "\(variant) \(name)", group: "ce / loss recovered")
            }
            for name in ["ce_mean_ablated", "loss_recovered_mean"] {
                close(number(d[name]), meanAblation ? number(ed[name]) : nil, "\(variant) \(name)", group: "ce / loss recovered")
            }
            // Differences of CEs and KLs are small numbers built from large ones: absolute slack of 1e-4 × the CE.
            let ceScale = 1e-4 * (number(ed["ce_baseline"]) ?? 1)
            close(number(d["delta_ce"]), number(ed["delta_ce"]), "\(variant) delta_ce", group: "kl / delta ce", atol: ceScale)
            for name in ["kl_spliced", "kl_zero_ablated", "kl_mean_ablated"] {
                close(
                    number(d[name]), name == "kl_mean_ablated" && !meanAblation ? nil : number(ed[name]), "\(variant) \(name)",
                    group: "kl / delta ce", atol: ceScale)
            }
            // The seed's per-batch means group 4 texts per batch whatever the packing
            // (scripts/fixtures/make_special_token_fixtures.py, `windowed`).
            let seedAblation = d["seed"] as! [String: Any]
            let seedReference = (Self.seedAblation[key] as! [String: Any])[variant] as! [String: Any]
            for name in ["baseline_loss", "zero_ablation_loss", "sae_reconstruction_loss", "loss_recovered"] {
                close(number(seedAblation[name]), number(seedReference[name]), "\(variant) seed \(name)", group: "ablation (seed, 4 texts per batch)")
            }
            #expect(seedAblation["n_batches"] as? Int == seedReference["n_batches"] as? Int)
        }
        // The seed blocks = the all-tokens variant (excludeFirstToken is off).
        if samePacking { try compareSeedBlock() }

        try compareDatabase(nTokens: nTokens, ambiguous: ambiguous)
        try compareFeatures(ambiguous: ambiguous)
        print(
            "pipeline golden \(key)\(samePacking ? "" : " (one batch)"): max relative error by group: "
                + errors.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2e", $0.value))" }.joined(separator: ", "))
    }

    mutating func compareSeedBlock() throws {
        let results = try json(try file("analysis_results_", ".json", in: "results"))
        let seedReconstruction = results["reconstruction"] as! [String: Any]
        let allReconstruction = (reference["reconstruction"] as! [String: Any])["all_tokens"] as! [String: Any]
        close(
            number(seedReconstruction["explained_variance"]), number(allReconstruction["seed_explained_variance"]),
            "reconstruction.explained_variance (seed block)", group: "reconstruction (seed, per pool)")
    }

    mutating func compareDatabase(nTokens: Int, ambiguous: [Int]) throws {
        let csr = try SparseCSR.read(from: try file("activation_db_", ".npz", in: "activation_database"))
        let counts = reference["activation_count"] as! [Int]
        #expect(csr.shape.rows == nTokens && csr.shape.columns == counts.count)
        #expect(csr.indptr.count == nTokens + 1)
        #expect(abs(csr.storedCount - (reference["csr_nnz"] as! Int)) <= ambiguous.reduce(0, +))
        close(csr.data.reduce(0) { $0 + Double($1) }, number(reference["csr_sum"]), "CSR sum", group: "activation database")
        var perFeature = [Int](repeating: 0, count: counts.count)
        for feature in csr.indices { perFeature[Int(feature)] += 1 }
        for f in counts.indices { #expect(abs(perFeature[f] - counts[f]) <= ambiguous[f], "\(key) CSR nnz of feature \(f)") }

        let tokens = try NPZ.read(try file("tokens_", ".npz", in: "activation_database"))
        for name in ["token_id", "text_idx", "position"] {
            let array = try #require(tokens[name], "tokens npz lacks \(name)")
            #expect(array.dtype == .int32 && array.shape == [nTokens])
            #expect(try array.int32Values().map(Int.init) == expected[name] as! [Int], "\(key) tokens.\(name)")
        }
    }

    mutating func compareFeatures(ambiguous: [Int]) throws {
        let table = try json(try file("feature_table_", ".json", in: "results"))
        let counts = reference["activation_count"] as! [Int]
        let means = (reference["mean_activation"] as! [Any]).map { number($0)! }
        let maxima = (reference["max_activation"] as! [Any]).map { number($0)! }
        let tableCounts = table["activation_count"] as! [Int]
        let tableMeans = (table["mean_activation"] as! [Any]).map { number($0) }
        let tableMaxima = (table["max_activation"] as! [Any]).map { number($0) }
        #expect(table["n_features"] as? Int == counts.count)
        for f in counts.indices {
            #expect(abs(tableCounts[f] - counts[f]) <= ambiguous[f], "\(key) feature_table count \(f)")
            // An ambiguous firing adds or drops a value below the margin: the mean moves by about mean/count.
            let slack = counts[f] > 0 ? Double(ambiguous[f]) / Double(counts[f]) : 0
            close(tableMeans[f], means[f], "mean_activation[\(f)]", group: "per-feature count/mean/max", atol: 1e-7, rtol: Self.rtol + slack)
            close(tableMaxima[f], maxima[f], "max_activation[\(f)]", group: "per-feature count/mean/max")
        }

        // Summaries: top examples and decoder neighbours of the detail features.
        let lines = try String(contentsOf: try file("feature_summaries_", ".jsonl", in: "results"), encoding: .utf8)
            .split(separator: "\n")
        var summaries: [Int: [String: Any]] = [:]
        for line in lines {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            summaries[record["feature"] as! Int] = record
        }
        let unambiguousFired = counts.indices.filter { counts[$0] > 0 && ambiguous[$0] == 0 }
        #expect(unambiguousFired.allSatisfy { summaries[$0] != nil }, "\(key): a summary for every feature that fired")
        let detail = reference["detail_features"] as! [Int]
        let top = reference["top_examples"] as! [String: Any]
        let similarityRows = reference["similarity_rows"] as! [[Any]]
        let phiRows = reference["phi_rows"] as! [[Any]]
        let similarity = try NPY.read(try file("feature_similarity_", ".npy", in: "matrices"))
        let cooccurrence = try NPY.read(try file("feature_cooccurrence_", ".npy", in: "matrices"))
        let width = counts.count
        #expect(similarity.shape == [width, width] && cooccurrence.shape == [width, width])
        let similarityValues = try similarity.floatValues(), cooccurrenceValues = try cooccurrence.floatValues()

        for (index, feature) in detail.enumerated() {
            let summary = try #require(summaries[feature], "\(key): no summary for feature \(feature)")
            let examples = summary["top_examples"] as! [[String: Any]]
            let expectedExamples = top[String(feature)] as! [[String: Any]]
            #expect(examples.count == expectedExamples.count, "\(key) feature \(feature) top examples")
            let tokenIDs = expected["token_id"] as! [Int], textIndices = expected["text_idx"] as! [Int]
            let positions = expected["position"] as! [Int]
            for (rank, (actual, wanted)) in zip(examples, expectedExamples).enumerated() {
                let row = try #require(actual["global_idx"] as? Int)
                let value = number(actual["activation"]) ?? .nan, wantedValue = number(wanted["activation"])!
                close(value, wantedValue, "feature \(feature) example \(rank)", group: "top examples")
                // Equal activations (the same token at position 0, or a repeated token) may rank in either order,
                // and float32 noise decides it: another row is fine only for a tie.
                if row != wanted["row"] as? Int {
                    #expect(
                        abs(value - wantedValue) <= 1e-5 * wantedValue,
                        "\(key) feature \(feature) example \(rank): row \(row) (\(value)) instead of \(wanted["row"]!) (\(wantedValue))")
                }
                #expect(
                    actual["text_idx"] as? Int == textIndices[row] && actual["position"] as? Int == positions[row]
                        && actual["token_id"] as? Int == tokenIDs[row], "\(key) feature \(feature) example \(rank) token")
            }

            let expectedSimilarity = similarityRows[index].map { number($0)! }
            for j in 0..<width {
                close(
                    Double(similarityValues[feature * width + j]), expectedSimilarity[j], "similarity[\(feature), \(j)]",
                    group: "decoder cosine", atol: 1e-6)
            }
            // Decoder neighbours: the 10 largest cosines, self excluded (compared by value: ties may order either way).
            let neighbours = ((summary["neighbors"] as! [String: Any])["decoder"] as! [[String: Any]])
            let best = expectedSimilarity.enumerated().filter { $0.offset != feature }.map(\.element).sorted(by: >)
            for (rank, neighbour) in neighbours.enumerated() {
                close(number(neighbour["value"]), best[rank], "feature \(feature) neighbour \(rank)", group: "decoder cosine", atol: 1e-6)
                close(
                    number(neighbour["value"]), expectedSimilarity[neighbour["feature"] as! Int], "feature \(feature) neighbour id",
                    group: "decoder cosine", atol: 1e-6)
            }

            // Phi: only pairs whose firings are unambiguous.
            let expectedPhi = phiRows[index].map { number($0)! }
            for j in 0..<width where ambiguous[feature] == 0 && ambiguous[j] == 0 {
                close(
                    Double(cooccurrenceValues[feature * width + j]), expectedPhi[j], "phi[\(feature), \(j)]",
                    group: "phi co-occurrence", atol: 1e-6)
            }
        }
    }

    func number(_ value: Any?) -> Double? {
        switch value {
        case let value as NSNumber: value.doubleValue
        default: nil
        }
    }
}
