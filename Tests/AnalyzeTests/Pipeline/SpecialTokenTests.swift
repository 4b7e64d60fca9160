@testable import Analyze
@testable import Formats
import Foundation
import LMRuntime
import SAECore
import Testing
import TestSupport
@testable import Tokenizers

/// BOS and special tokens, `--ignore-high-norm`, and the seed's ablation grouping, end to end against
/// `scripts/fixtures/make_special_token_fixtures.py`: a tiny GPT-2 whose SAE was trained with `prepend_bos`, the
/// statistics, database and ablation computed there with transformers and numpy (every text starts with BOS; special
/// positions left out and left unspliced, or kept; high-norm positions left out).
@Suite struct SpecialTokenTests {
    static let fixtures = AnalysisPipelineTests.fixtures
    static let special = fixtures.appendingPathComponent("special")
    static let expected =
        try! JSONSerialization.jsonObject(with: Data(contentsOf: special.appendingPathComponent("expected.json")))
        as! [String: Any]

    static let gemma = special.appendingPathComponent("gemma")

    static func options(output: URL, root: URL = special, sae: String = "sae") -> AnalysisOptions {
        var options = AnalysisOptions(
            modelDirectory: root.appendingPathComponent("model"), saeDirectory: root.appendingPathComponent(sae),
            corpusFile: root.appendingPathComponent("corpus.json"), output: output)
        options.pass.context = 64
        options.pass.ablation = .zero
        options.pass.ablationTokens = nil
        options.pass.calibrationTokens = 1 << 20
        options.control.threads = 2
        return options
    }

    /// Texts longer than the context: `make_special_token_fixtures.py windows` (ctx 8, BOS in every window).
    static let windows =
        try! JSONSerialization.jsonObject(with: Data(contentsOf: special.appendingPathComponent("windows.json")))
        as! [String: Any]

    /// Runs the analysis with `configure` applied and compares it with the script's run `run`; `inspect` sees the
    /// analysis directory before it is removed.
    func check(
        _ run: String, root: URL = special, sae: String = "sae", expected: [String: Any] = expected,
        configure: (inout AnalysisOptions) -> Void, inspect: (URL) throws -> Void = { _ in }
    ) throws -> AnalysisResults {
        let (output, cleanup) = AnalysisPipelineTests.outputDirectory("special-\(run)")
        defer { cleanup() }
        var options = Self.options(output: output, root: root, sae: sae)
        configure(&options)
        let results = try AnalysisPipeline(options: options).run().results
        let reference = expected[run] as! [String: Any]
        func value(_ key: String) -> Double { (reference[key] as! NSNumber).doubleValue }
        var worst = 0.0
        defer { print("special tokens \(run) (\(root.lastPathComponent)): max relative error \(String(format: "%.2e", worst))") }
        func close(_ actual: Double?, _ key: String, rtol: Double = 1e-6) {
            let wanted = value(key)
            if let actual { worst = max(worst, abs(actual - wanted) / max(abs(wanted), 1e-2)) }
            #expect(actual.map { abs($0 - wanted) <= rtol * abs(wanted) + 1e-6 } == true, "\(run) \(key): \(String(describing: actual)) vs \(wanted)")
        }

        // The database holds the kept positions only, with their text positions (BOS at 0).
        let rows = reference["n_rows"] as! Int
        #expect(results.run.tokens == rows)
        let tokens = try NPZ.read(try file("tokens_", in: output.appendingPathComponent("activation_database")))
        for name in ["token_id", "text_idx", "position"] {
            #expect(try tokens[name]!.int32Values().map(Int.init) == reference[name] as! [Int], "\(run) tokens.\(name)")
        }
        let excluded = results.run.excluded
        #expect(excluded.specialTokens + excluded.highNorm == reference["n_excluded"] as! Int)

        // Statistics over the kept positions (codes far from their thresholds: counts exact).
        let sparsity = results.sparsity.metrics.allTokens
        #expect(sparsity.nTokens == rows)
        close(sparsity.l0Mean, "l0_mean")
        #expect(sparsity.activationCounts == reference["activation_count"] as! [Int], "\(run) activation counts")
        close(results.reconstruction.allTokens.msePerToken, "mse_per_token")

        // Ablation: spliced at the kept positions only, averaged over them.
        let downstream = try #require(results.downstream?.metrics.allTokens)
        #expect(downstream.nTargets == reference["n_targets"] as! Int)
        #expect(downstream.nPositions == reference["n_positions"] as! Int)
        close(downstream.ceBaseline, "ce_baseline")
        close(downstream.ceSpliced, "ce_spliced")
        close(downstream.ceZeroAblated, "ce_zero_ablated")
        close(downstream.klSpliced, "kl_spliced", rtol: 1e-5)
        close(downstream.klZeroAblated, "kl_zero_ablated", rtol: 1e-5)
        try inspect(output)
        return results
    }

    func file(_ prefix: String, in folder: URL) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(prefix) }
        try #require(names.count == 1)
        return folder.appendingPathComponent(names[0])
    }

    @Test func bosPrependedAndSpecialPositionsLeftOut() throws {
        let results = try check("default") { _ in }
        let excluded = results.run.excluded
        #expect(excluded.sequenceStart == "BOS \(Self.expected["bos_id"] as! Int)")
        #expect(excluded.highNorm == 0)
        #expect(results.warnings.contains { $0.contains("\(excluded.specialTokens) special-token positions") })
    }

    @Test func keepSpecialTokensKeepsAndSplicesThem() throws {
        let results = try check("keep_special") { $0.pass.keepSpecialTokens = true }
        #expect(results.run.excluded.specialTokens == 0)
        #expect(!results.warnings.contains { $0.contains("special-token positions") })
    }

    @Test func ignoreHighNormLeavesOutPositionsAboveTheMedianMultiple() throws {
        let results = try check("high_norm_run") { $0.pass.ignoreHighNorm = Self.expected["high_norm"] as? Double }
        let excluded = results.run.excluded
        let median = try #require(excluded.medianNorm)
        let wanted = (Self.expected["median_norm"] as! NSNumber).doubleValue
        #expect(abs(median - wanted) <= 1e-5 * wanted, "median norm \(median) vs \(wanted)")
        #expect(excluded.highNorm > 0)
        #expect(results.warnings.contains { $0.contains("\(excluded.highNorm) positions with a hook-activation norm above") })
    }

    /// `prepend_bos` on texts longer than `--ctx`: every model window starts with BOS, as SAELens builds its contexts
    /// (the text's ids cut into pieces of ctx − 1, each after BOS), and each window runs on its own. Against transformers
    /// run window by window: the windows the pass runs (start, ids), the database (BOS positions left out, positions
    /// counting on across windows), every kept row's SAE codes, the statistics and the ablation; then the loss
    /// effects of the top examples, rerun from the pass's own windows (BOS included, though the database lacks it).
    @Test func bosStartsEveryWindow() throws {
        let context = Self.windows["ctx"] as! Int
        let configure = { (options: inout AnalysisOptions) in
            options.pass.context = context
            options.features.lossEffectExamples = 3
            options.features.lossEffectRows = nil
        }
        var options = Self.options(output: FileManager.default.temporaryDirectory)
        configure(&options)
        let inputs = try AnalysisInputs(options: options)
        let bos = Int32(Self.windows["bos_id"] as! Int)
        var ran: [String] = []
        let batches = try inputs.corpusBatches(options: options)
        for batch in batches.batches {
            for sequence in batch.sequences {
                #expect(batch.tokens[sequence.rows.lowerBound] == bos)
                let ids = batch.tokens[sequence.rows].map(String.init).joined(separator: ",")
                ran.append("\(batches.textIndices[sequence.text])@\(sequence.start): \(ids)")
            }
        }
        let wanted = (Self.windows["windows"] as! [[String: Any]]).map {
            "\($0["text_idx"]!)@\($0["start"]!): \(($0["ids"] as! [Int]).map(String.init).joined(separator: ","))"
        }
        #expect(ran.sorted() == wanted.sorted())
        #expect(wanted.contains { $0.contains("@\(2 * context): ") }, "some text spans three windows")

        let reference = Self.windows["default"] as! [String: Any]
        let results = try check("default", expected: Self.windows, configure: configure) { output in
            // Every kept row's codes: the database's CSR against the script's (float64) codes.
            let database = output.appendingPathComponent("activation_database")
            let csr = try NPZ.read(try file("activation_db_", in: database))
            let indptr = try csr["indptr"]!.int64Values().map(Int.init), indices = try csr["indices"]!.int32Values()
            let values = try csr["data"]!.floatValues()
            let codes = reference["codes"] as! [[[Double]]]
            try #require(indptr.count == codes.count + 1)
            var worst = 0.0
            for (row, wantedRow) in codes.enumerated() {
                let range = indptr[row]..<indptr[row + 1]
                #expect(range.map { Int(indices[$0]) } == wantedRow.map { Int($0[0]) }, "row \(row): active features")
                for (index, pair) in zip(range, wantedRow) {
                    worst = max(worst, abs(Double(values[index]) - pair[1]) / max(abs(pair[1]), 1e-2))
                }
            }
            print("BOS per window: codes of \(codes.count) rows, max relative error \(String(format: "%.2e", worst))")
            #expect(worst < 1e-4)
            try checkLossEffects(in: output)
        }
        #expect(results.run.excluded.specialTokens == reference["n_excluded"] as! Int)
        #expect(!results.warnings.contains { $0.hasPrefix("loss effects were computed for") }, "\(results.warnings)")
    }

    /// The first three top examples of every feature have loss effects, equal to the script's transformers reruns (by
    /// text position: shown token k is database row global_idx − target_index + k).
    func checkLossEffects(in output: URL) throws {
        var reference: [String: [String: Any]] = [:]
        for effect in Self.windows["loss_effects"] as! [[String: Any]] {
            reference["\(effect["feature"]!)/\(effect["text_idx"]!)/\(effect["position"]!)"] = effect
        }
        let tokens = try NPZ.read(try file("tokens_", in: output.appendingPathComponent("activation_database")))
        let positions = try tokens["position"]!.int32Values().map(Int.init)
        let summaries = try String(contentsOf: try file("feature_summaries_", in: output.appendingPathComponent("results")), encoding: .utf8)
        var compared = 0, values = 0, direct = 0, largest = 0.0, worst = 0.0
        for line in summaries.split(separator: "\n") {
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for example in (record["top_examples"] as! [[String: Any]]).prefix(3) {
                let key = "\(record["feature"]!)/\(example["text_idx"]!)/\(example["position"]!)"
                let effects = try #require(example["loss_effects"] as? [String: Any], "\(key) has no loss effects")
                let wanted = try #require(reference[key], "\(key) is not among the script's top examples")
                let at = Dictionary(
                    uniqueKeysWithValues: (wanted["positions"] as! [Int]).enumerated().map {
                        ($0.element, (($0.offset, wanted["delta_loss"] as! [Double], wanted["kl"] as! [Double])))
                    })
                let first = (example["global_idx"] as! Int) - (example["target_index"] as! Int)
                let p = example["position"] as! Int
                for (k, delta) in (effects["delta_loss"] as! [Any]).enumerated() {
                    let position = positions[first + k]
                    if let (index, deltas, kls) = at[position] {
                        let got = try #require(delta as? Double, "\(key) position \(position): null Δloss")
                        let kl = try #require((effects["kl"] as! [Any])[k] as? Double)
                        #expect(isClose(got, deltas[index], relative: 2e-3, absolute: 2e-5), "\(key) position \(position): Δloss \(got) vs \(deltas[index])")
                        #expect(isClose(kl, kls[index], relative: 2e-3, absolute: 2e-5), "\(key) position \(position): KL \(kl) vs \(kls[index])")
                        worst = max(worst, abs(got - deltas[index]) / max(abs(deltas[index]), 1e-2))
                        largest = max(largest, abs(deltas[index]))
                        values += 1
                    } else {
                        #expect(delta is NSNull, "\(key) position \(position): a value where the reference has none")
                    }
                    let directValue = (effects["direct_delta_loss"] as! [Any])[k]
                    if position == p + 1, let expected = wanted["direct_delta_loss"] as? Double {
                        #expect(isClose(directValue as? Double, expected, relative: 2e-3, absolute: 2e-5), "\(key): direct Δloss \(directValue) vs \(expected)")
                        #expect(isClose((effects["direct_kl"] as! [Any])[k] as? Double, wanted["direct_kl"] as! Double, relative: 2e-3, absolute: 2e-5))
                        direct += 1
                    } else {
                        #expect(directValue is NSNull, "\(key) position \(position): a direct value")
                    }
                }
                compared += 1
            }
        }
        print(
            "BOS per window: loss effects of \(compared) examples, \(values) values (\(direct) direct), largest |Δloss| \(largest), max relative error \(String(format: "%.2e", worst))"
        )
        #expect(compared >= 100 && values >= 200 && direct >= 50 && largest > 0.1)
    }

    /// A corpus of special tokens only leaves nothing to analyze: one error naming the corpus, nothing written.
    @Test func aCorpusOfSpecialTokensOnlyIsAnError() throws {
        let (root, cleanup) = AnalysisPipelineTests.outputDirectory("all-special")
        defer { cleanup() }
        try FileManager.default.createDirectory(at: root.deletingLastPathComponent(), withIntermediateDirectories: true)
        let corpus = root.deletingLastPathComponent().appendingPathComponent("all-special.json")
        try Data(#"["<|endoftext|>", "<|endoftext|><|endoftext|>"]"#.utf8).write(to: corpus)
        var options = Self.options(output: root)
        options.paths.corpus = corpus
        let error = #expect(throws: InputError.self) { _ = try AnalysisPipeline(options: options).run() }
        #expect(error?.description.contains("every position of the corpus was left out (5 special tokens") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: root.path))
        #expect(!FileManager.default.fileExists(atPath: StagedAnalysisDirectory.stagingURL(for: root).path))
    }

    /// Gemma: a Gemma Scope SAE (trained with BOS) at a path that does not name the repository, so `--site` says res;
    /// the tokenizer's post-processor BOS starts every text, and BOS and `<eos>` positions are left out.
    @Test func gemmaScopeOnGemmaLeavesOutBOS() throws {
        let expected =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.gemma.appendingPathComponent("expected.json")))
            as! [String: Any]
        let results = try check(
            "default", root: Self.gemma, sae: "sae/layer_1/width_1k/average_l0_12", expected: expected
        ) { $0.pass.sae.site = .res }
        #expect(results.run.excluded.sequenceStart == "BOS \(expected["bos_id"] as! Int)")
        #expect(results.run.excluded.specialTokens == (expected["default"] as! [String: Any])["n_excluded"] as! Int)
    }

    /// The seed's `ablation_study` on the pipeline fixture: 4 texts per batch, padded, mean of per-batch means
    /// (the script runs the seed's padded batches through transformers). Texts are not windowed (ctx 512).
    @Test func seedAblationNumbersEqualTheSeedsPaddedBatches() throws {
        var options = AnalysisPipelineTests.options(sae: "seed-sae-relu-l2", output: nil)
        options.pass.context = 512
        options.pass.ablation = .zero
        options.pass.featureAnalysis = false
        let results = try AnalysisPipeline(options: options).run().results
        let reference =
            (try JSONSerialization.jsonObject(
                with: Data(contentsOf: Self.fixtures.appendingPathComponent("pipeline/seed_ablation.json"))) as! [String: Any])[
                "padded_relu"] as! [String: Any]
        let seed = try #require(results.headlineAblation)
        for (name, actual) in [
            ("baseline_loss", seed.baselineLoss), ("zero_ablation_loss", seed.zeroAblationLoss),
            ("sae_reconstruction_loss", seed.saeReconstructionLoss), ("loss_recovered", seed.lossRecovered),
        ] {
            let wanted = (reference[name] as! NSNumber).doubleValue
            print("seed ablation \(name): \(String(describing: actual)) vs the seed's padded batches \(wanted)")
            #expect(actual.map { abs($0 - wanted) <= 1e-5 * abs(wanted) } == true, "\(name): \(String(describing: actual)) vs \(wanted)")
        }
        #expect(seed.nBatches == reference["n_batches"] as! Int)
    }
}

/// Which texts start with BOS, and which ids are special, on real tokenizer files.
@Suite struct SpecialTokenEncodingTests {
    static let tokenizers = AnalysisPipelineTests.fixtures.appendingPathComponent("tokenizer")

    /// Gemma's post-processor adds `<bos>`: it is the BOS, and with `prepend_bos` the ids equal HF's
    /// `encode(text).ids` (the cases file), with `prepend_bos: false` HF's `encode(text, add_special_tokens=False)`.
    @Test func gemmaBOSComesFromThePostProcessor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gemma-bos-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(
            at: Self.tokenizers.appendingPathComponent("sp-gemma.json"), to: directory.appendingPathComponent("tokenizer.json"))
        let tokenizer = try Tokenizer(modelDirectory: directory)
        let cases =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.tokenizers.appendingPathComponent("sp-gemma_cases.json")))
            as! [String: Any]
        let encode = cases["encode"] as! [[String: Any]], plain = cases["encode_plain"] as! [[String: Any]]
        let bos = try #require(tokenizer.leadingSpecialTokens.first)
        #expect(tokenizer.specialTokenIDs.contains(bos))

        let prepending = try SpecialTokens(tokenizer: tokenizer, modelDirectory: directory, prependBOS: true)
        #expect(prepending.start == .bos(bos))
        let withoutBOS = try SpecialTokens(tokenizer: tokenizer, modelDirectory: directory, prependBOS: false)
        var plainIDs: [String: [Int32]] = [:]
        for entry in plain { plainIDs[entry["text"] as! String] = (entry["ids"] as! [Int]).map(Int32.init) }
        var checked = 0
        for withSpecial in encode {
            guard let text = withSpecial["text"] as? String, !text.isEmpty, let without = plainIDs[text] else { continue }
            let ids = (withSpecial["ids"] as! [Int]).map(Int32.init)
            #expect(ids.first == bos, "HF's Gemma encode starts with <bos>")
            #expect(prepending.encode(text, with: tokenizer, context: 1 << 20) == ids, "prepend_bos: \(text.debugDescription)")
            #expect(withoutBOS.encode(text, with: tokenizer, context: 1 << 20) == without, "prepend_bos false: \(text.debugDescription)")
            #expect(prepending.flags(ids).enumerated().allSatisfy { $0.element == tokenizer.specialTokenIDs.contains(ids[$0.offset]) })
            checked += 1
        }
        #expect(checked > 5)
    }

    /// GPT-2 style: no post-processor BOS, so `bos_token` of tokenizer_config.json names it; without one, the EOS
    /// (as TransformerLens does for Qwen).
    @Test func byteLevelBOSComesFromTheTokenizerConfig() throws {
        let special = SpecialTokenTests.special.appendingPathComponent("model")
        let tokenizer = try Tokenizer(modelDirectory: special)
        #expect(tokenizer.leadingSpecialTokens.isEmpty)
        let tokens = try SpecialTokens(tokenizer: tokenizer, modelDirectory: special, prependBOS: true)
        #expect(tokens.start == .bos(Int32(SpecialTokenTests.expected["bos_id"] as! Int)))
        let sequences = SpecialTokenTests.expected["sequences"] as! [String: [Int]]
        let corpus = try JSONSerialization.jsonObject(with: Data(contentsOf: SpecialTokenTests.special.appendingPathComponent("corpus.json"))) as! [String]
        for (index, ids) in sequences { #expect(tokens.encode(corpus[Int(index)!], with: tokenizer, context: 64) == ids.map(Int32.init)) }

        let qwen = AnalysisPipelineTests.model
        let qwenTokenizer = try Tokenizer(modelDirectory: qwen)
        let eos = try #require(qwenTokenizer.id(of: "<|endoftext|>"))
        #expect(try SpecialTokens(tokenizer: qwenTokenizer, modelDirectory: qwen, prependBOS: true).start == .bos(eos))
        #expect(try SpecialTokens(tokenizer: qwenTokenizer, modelDirectory: qwen, prependBOS: nil).start == .tokenizerDefault)
    }

    /// SAELens's contexts: the ids in pieces of ctx − 1, each after BOS; positions count on across windows.
    @Test func bosStartsEveryWindowOfALongText() {
        #expect(SpecialTokens.bosPerWindow([1, 2, 3, 4, 5], bos: 9, context: 3) == [9, 1, 2, 9, 3, 4, 9, 5])
        #expect(SpecialTokens.bosPerWindow([1, 2, 3, 4], bos: 9, context: 3) == [9, 1, 2, 9, 3, 4])
        #expect(SpecialTokens.bosPerWindow([1], bos: 9, context: 2) == [9, 1])
        #expect(SpecialTokens.bosPerWindow([], bos: 9, context: 4) == [])
        let tokens = SpecialTokens(start: .bos(9), ids: [9])
        let windows = PackedBatch.pack([SpecialTokens.bosPerWindow(Array(1...10), bos: 9, context: 4)], context: 4, maxTokens: 100)
        #expect(windows[0].sequences.map { windows[0].tokens[$0.rows.lowerBound] } == [9, 9, 9, 9])
        #expect(windows[0].sequences.map(\.start) == [0, 4, 8, 12])
        #expect(tokens.prependedBOS == 9)
    }

    @Test func exclusionMaskAndMedian() {
        let exclusion = PositionExclusion(specialIDs: [7], normLimit: 2.5)
        // Rows: special, norm 1, norm 3 (above), norm 2.5 (not above).
        let x: [Float] = [100, 0, 1, 0, 3, 0, 1.5, 2]
        let mask = exclusion.mask(tokens: [7, 1, 2, 3], activations: x, width: 2)
        #expect(mask.included == [false, true, false, true])
        #expect(mask.special == 1 && mask.highNorm == 1 && mask.includedCount == 2)
        #expect(includedRows(x, width: 2, included: mask.included) == [1, 0, 1.5, 2])
        #expect(PositionExclusion.median([3, 1, 2]) == 2)
        #expect(PositionExclusion.median([4, 1, 2, 3]) == 2.5)
        #expect(PositionExclusion.median([]) == nil)
    }
}
