@testable import Analyze
@testable import Formats
import Foundation
import LMRuntime
import SAECore
import Testing
import Tokenizers

/// `analyze --activations` (docs/activations.md): an activation folder written by `ActivationDump` analyzes to the
/// direct run's analysis exactly, and one written by the documented PyTorch snippet with transformers
/// (Tests/Fixtures/activations/transformers-bf16, from scripts/fixtures/make_activation_folder_fixture.py) holds
/// our runtime's activations of the same tokens to BF16 precision.
@Suite struct ActivationFolderTests {
    typealias Fixture = AnalysisPipelineTests
    static let hook = "blocks.2.hook_resid_post"
    static let transformersFolder = Fixture.fixtures.appendingPathComponent("activations/transformers-bf16")

    static func folderOptions(_ folder: URL, sae: String, output: URL?, unembedding: URL? = Fixture.model) -> AnalysisOptions {
        var options = AnalysisOptions(
            activations: folder, unembedding: unembedding,
            saeDirectory: Fixture.fixtures.appendingPathComponent("sae/\(sae)"), output: output)
        options.pass.batchTokens = Fixture.expected["batch_tokens"] as! Int
        options.pass.calibrationTokens = 1 << 20
        options.features.topExamples = 5
        options.control.threads = 2
        return options
    }

    static func file(_ directory: URL, _ folder: String, prefix: String) throws -> URL {
        let url = directory.appendingPathComponent(folder)
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: url.path).first { $0.hasPrefix(prefix) })
        return url.appendingPathComponent(name)
    }

    static func json(_ url: URL) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? NSDictionary)
    }

    /// The run facts and metric blocks that do not involve the model, as JSON.
    static func modelFreeResults(_ results: NSDictionary) -> NSDictionary {
        let copy = results.mutableCopy() as! NSMutableDictionary
        // `feature_summaries` is the file's name, which carries the run's timestamp.
        for key in ["ablation", "warnings", "run", "feature_summaries"] { copy.removeObject(forKey: key) }
        let metrics = (copy["metrics"] as! NSDictionary).mutableCopy() as! NSMutableDictionary
        metrics.removeObject(forKey: "downstream")
        copy["metrics"] = metrics
        copy["metric_table"] = (copy["metric_table"] as! [NSDictionary]).filter { $0["group"] as? String != "ablation" }
        let run = results["run"] as! NSDictionary
        let kept = NSMutableDictionary()
        for key in ["n_texts", "n_texts_used", "n_tokens", "skipped_texts", "topk_mode", "topk_threshold"] { kept[key] = run[key] }
        copy["run"] = kept
        return copy
    }

    /// `activations` then `analyze --activations` is a round trip: the database, every metric that does not need
    /// the model, every per-feature file and matrix equal the direct run's exactly (the direct run with its
    /// ablation study; the folder's run marks it not computed). Several shards, so reads cross shard boundaries.
    @Test(arguments: [("seed-sae-btopk8-l2", TopKMode?.none), ("seed-sae-btopk8-l2", .token), ("seed-sae-relu-l2", nil)])
    func roundTripEqualsTheDirectRun(sae: String, topKMode: TopKMode?) throws {
        let (root, cleanup) = Fixture.outputDirectory("byoa-\(sae)-\(topKMode?.rawValue ?? "default")")
        defer { cleanup() }
        var directOptions = Fixture.options(sae: sae, output: root.appendingPathComponent("direct"))
        directOptions.pass.topKMode = topKMode
        directOptions.pass.ablation = .zero
        directOptions.features.lossEffectExamples = 0  // they rerun the model; a folder's run has none
        let direct = try AnalysisPipeline(options: directOptions).run()

        let folder = root.appendingPathComponent("activations")
        let dump = try ActivationDump.write(
            model: Fixture.model, corpus: Fixture.corpus, hook: Self.hook, to: folder,
            context: directOptions.pass.context, batchTokens: directOptions.pass.batchTokens, shardTokens: 100)
        #expect(dump.shards == 7 && dump.tokens == direct.tokenCount)
        var options = Self.folderOptions(folder, sae: sae, output: root.appendingPathComponent("byoa"))
        options.pass.topKMode = topKMode
        let byoa = try AnalysisPipeline(options: options).run()
        let a = try #require(direct.directory), b = try #require(byoa.directory)
        try Self.expectModelFreeEqual(direct: direct, a, folder: byoa, b)
        let config = try Self.json(Self.file(b, "", prefix: "config_"))
        #expect(config["activations_path"] as? String == folder.standardizedFileURL.path && config["ctx"] as? Int == 24)
        #expect((config["hashes"] as? NSDictionary)?["activations"] is NSDictionary)
    }

    /// The analyses `a` (direct, with an ablation study) and `b` (of an activation folder) agree on everything that does
    /// not need the model: the database, the per-feature files and matrices byte for byte, every model-free metric;
    /// the folder's run marks the ablation not computed.
    static func expectModelFreeEqual(
        direct: AnalysisPipeline.Outcome, _ a: URL, folder byoa: AnalysisPipeline.Outcome, _ b: URL
    ) throws {
        // The database and its token table.
        for prefix in ["activation_db_", "tokens_"] {
            let left = try NPZ.read(Self.file(a, "activation_database", prefix: prefix))
            let right = try NPZ.read(Self.file(b, "activation_database", prefix: prefix))
            #expect(left == right, "\(prefix)")
        }
        // Per-feature files and matrices, byte for byte.
        for (folderName, prefix) in [
            ("results", "feature_summaries_"), ("results", "feature_table_"), ("results", "clusters_"),
            ("matrices", "feature_similarity_"), ("matrices", "feature_cooccurrence_"),
        ] {
            #expect(
                try Data(contentsOf: Self.file(a, folderName, prefix: prefix)) == Data(contentsOf: Self.file(b, folderName, prefix: prefix)),
                "\(prefix)")
        }
        #expect(try NPZ.read(Self.file(a, "matrices", prefix: "neighbors_")) == NPZ.read(Self.file(b, "matrices", prefix: "neighbors_")))
        // The logit effects came through --unembedding.
        #expect(try String(contentsOf: Self.file(b, "results", prefix: "feature_summaries_"), encoding: .utf8).contains("\"logit_effects\""))

        // Every metric that does not need the model.
        let resultsA = try Self.json(Self.file(a, "results", prefix: "analysis_results_"))
        let resultsB = try Self.json(Self.file(b, "results", prefix: "analysis_results_"))
        let freeA = Self.modelFreeResults(resultsA), freeB = Self.modelFreeResults(resultsB)
        for key in Set(freeA.allKeys as! [String]).union(freeB.allKeys as! [String]) {
            #expect(freeA[key] as? NSObject == freeB[key] as? NSObject, "analysis_results \(key)")
        }
        #expect(direct.results.sparsity.metrics.allTokens.l0Mean == byoa.results.sparsity.metrics.allTokens.l0Mean)
        // ... and the ablation marked, with its reason, where the direct run has numbers.
        #expect((resultsA["ablation"] as? NSDictionary)?["baseline_loss"] is Double)
        let ablation = try #require(resultsB["ablation"] as? NSDictionary)
        #expect(ablation["baseline_loss"] is NSNull && (ablation["not_computed"] as? String)?.contains("--activations") == true)
        #expect((resultsB["warnings"] as? [String])?.contains { $0.hasPrefix("ablation study not computed") } == true)
        let summaryA = try Self.json(Self.file(a, "", prefix: "SUMMARY_")), summaryB = try Self.json(Self.file(b, "", prefix: "SUMMARY_"))
        for key in ["sparsity", "dead_features", "reconstruction", "top_features", "n_tokens_processed", "dataset_size", "model", "n_features"] {
            #expect(summaryA[key] as? NSObject == summaryB[key] as? NSObject, "SUMMARY \(key)")
        }
        #expect((summaryB["ablation"] as? NSDictionary)?["not_computed"] is String)
        #expect(try String(contentsOf: Self.file(b, "", prefix: "README_"), encoding: .utf8).contains("- Not computed: the activations were read"))
    }

    /// An SAE trained with `prepend_bos` (the GPT-2 fixture of SpecialTokenTests) on texts longer than `--ctx`: the
    /// folder written for that SAE holds a BOS at the start of every window, as `analyze --model` feeds it, and its
    /// analysis equals the direct run's in everything that does not need the model.
    @Test func aFolderForAPrependBOSSAEEqualsTheDirectRun() throws {
        let special = SpecialTokenTests.special, context = SpecialTokenTests.windows["ctx"] as! Int
        let model = special.appendingPathComponent("model"), sae = special.appendingPathComponent("sae")
        let (root, cleanup) = Fixture.outputDirectory("byoa-prepend-bos")
        defer { cleanup() }
        var directOptions = SpecialTokenTests.options(output: root.appendingPathComponent("direct"))
        directOptions.pass.context = context
        directOptions.pass.batchTokens = 64
        directOptions.features.lossEffectExamples = 0
        let direct = try AnalysisPipeline(options: directOptions).run()

        let folder = root.appendingPathComponent("activations")
        let dump = try ActivationDump.write(
            model: model, corpus: special.appendingPathComponent("corpus.json"), hook: nil,
            sae: ActivationDump.SAEChoice(directory: sae), to: folder, context: context, batchTokens: 64, shardTokens: 50)
        let bos = Int32(SpecialTokenTests.windows["bos_id"] as! Int)
        let table = try NPY.read(folder.appendingPathComponent(ActivationDump.tokensFileName)).int64Values()
        let rows = stride(from: 0, to: table.count, by: 3).map { (id: Int32(table[$0]), position: Int(table[$0 + 2])) }
        #expect(dump.hook.description == "blocks.1.hook_resid_post" && rows.count == dump.tokens)
        // (One text holds <|endoftext|>, the BOS, in its middle too.)
        #expect(rows.filter { $0.position % context == 0 }.allSatisfy { $0.id == bos }, "a BOS at every window start")
        #expect(rows.contains { $0.position >= 2 * context }, "some text spans three windows")

        var options = AnalysisOptions(activations: folder, unembedding: model, saeDirectory: sae, output: root.appendingPathComponent("byoa"))
        options.pass.batchTokens = 64
        options.pass.calibrationTokens = directOptions.pass.calibrationTokens
        options.control.threads = 2
        let byoa = try AnalysisPipeline(options: options).run()
        #expect(byoa.results.run.excluded.specialTokens == direct.results.run.excluded.specialTokens)
        try Self.expectModelFreeEqual(direct: direct, try #require(direct.directory), folder: byoa, try #require(byoa.directory))
    }

    /// Without `--unembedding` there are no logit effects, and everything else is still there (the tokenizer comes
    /// from the folder).
    @Test func withoutUnembeddingThereAreNoLogitEffects() throws {
        let (root, cleanup) = Fixture.outputDirectory("byoa-no-unembedding")
        defer { cleanup() }
        let outcome = try AnalysisPipeline(
            options: Self.folderOptions(Self.transformersFolder, sae: "seed-sae-relu-l2", output: root, unembedding: nil)
        ).run()
        let summaries = try String(contentsOf: Self.file(try #require(outcome.directory), "results", prefix: "feature_summaries_"), encoding: .utf8)
        #expect(!summaries.contains("\"logit_effects\"") && summaries.contains("\"top_examples\""))
        #expect(outcome.tokenCount == 696)
    }

    /// The folder the documented transformers snippet wrote: its token table is the one our own dump writes (the
    /// same tokens, texts and positions, blank texts skipped), and each BF16 row is our runtime's float32 activation
    /// of that token to BF16 precision. The safetensors form of the token table reads the same.
    @Test func transformersSnippetFolderHoldsOurRuntimesActivations() throws {
        let options = Self.folderOptions(Self.transformersFolder, sae: "seed-sae-relu-l2", output: nil)
        let inputs = try AnalysisInputs(options: options)
        let folder = try #require(inputs.activations)
        #expect(folder.manifest.dtype == .bfloat16 && folder.manifest.context == nil)

        let corpus = try Corpus(contentsOf: Fixture.corpus)
        let tokenizer = try Tokenizer(modelDirectory: Fixture.model)
        var directOptions = Fixture.options(sae: "seed-sae-relu-l2", output: nil)
        directOptions.pass.context = 1024
        let ours = try CorpusBatches(
            corpus: corpus, tokenizer: tokenizer,
            specialTokens: SpecialTokens(start: .tokenizerDefault, ids: tokenizer.specialTokenIDs), options: directOptions)
        let ourRecords = ours.batches.flatMap { ours.tokenRecords($0) }
        #expect(folder.table.tokenIDs == ourRecords.map(\.tokenID))
        #expect(folder.table.textIndices == ourRecords.map(\.textIndex))
        #expect(folder.table.positions == ourRecords.map(\.position))

        let model = DecoderModel(weights: try ModelWeights(modelDirectory: Fixture.model, blockCount: 3), contextLength: 1024)
        let hook = try Hook(parsing: Self.hook, layerCount: 4)
        let batches = try inputs.corpusBatches(options: options)
        // BF16 keeps 8 significant bits: rounding moves a value by at most 2⁻⁸ of it; the runtimes differ by ~1e-6.
        var outside = 0, inexact = 0, count = 0
        for batch in batches.batches {
            let stored = try inputs.model.forward(batch, stopAt: hook).activations.values
            let reference = try model.forward(batch, stopAt: hook).activations.values
            for (s, r) in zip(stored, reference) {
                if abs(s - r) > abs(r) / 256 + 1e-5 { outside += 1 }
                if s != r { inexact += 1 }
                count += 1
            }
        }
        #expect(count == 696 * 64 && outside == 0, "\(outside) of \(count) values differ by more than BF16 rounding")
        #expect(inexact > count / 2, "BF16 rows cannot mostly equal float32 ones")

        let (root, cleanup) = Fixture.outputDirectory("byoa-safetensors-table")
        defer { cleanup() }
        try FileManager.default.copyItem(at: Self.transformersFolder, to: root)
        try rewriteManifest(root) { $0["tokens"] = "tokens.safetensors" }
        let safetensorsTable = try TokenTable(contentsOf: root.appendingPathComponent("tokens.safetensors"))
        #expect(safetensorsTable == folder.table)
        #expect(try AnalysisInputs(options: Self.folderOptions(root, sae: "seed-sae-relu-l2", output: nil)).activations?.table == folder.table)
    }

    /// A float16 `.npy` shard reads back as its values widened to float32, exactly.
    @Test func float16NPYShardsReadExactly() throws {
        let (root, cleanup) = Fixture.outputDirectory("byoa-f16")
        defer { cleanup() }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let folder = root.appendingPathComponent("activations")
        _ = try ActivationDump.write(
            model: Fixture.model, corpus: Fixture.corpus, hook: Self.hook, to: folder, context: 24, batchTokens: 64)
        let shard = folder.appendingPathComponent(ActivationDump.shardName(0))
        let array = try NPY.read(shard)
        let halves = try array.floatValues().map { Float16($0) }
        try NPY.write(NPYArray(dtype: .float16, shape: array.shape, data: halves.withUnsafeBytes { Data($0) }), to: shard)
        try rewriteManifest(folder) { $0["dtype"] = "float16" }

        let options = Self.folderOptions(folder, sae: "seed-sae-relu-l2", output: nil)
        let inputs = try AnalysisInputs(options: options)
        let batches = try inputs.corpusBatches(options: options)
        let rows = try batches.batches.flatMap { try inputs.model.forward($0, stopAt: inputs.hook).activations.values }
        #expect(rows == halves.map { Float($0) })
    }

    /// Bad folders fail while the inputs load, before anything exists, each with an error naming the file.
    @Test func badFoldersAreRefusedNamingTheFile() throws {
        let (root, cleanup) = Fixture.outputDirectory("byoa-bad")
        defer { cleanup() }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let good = root.appendingPathComponent("good")
        _ = try ActivationDump.write(
            model: Fixture.model, corpus: Fixture.corpus, hook: Self.hook, to: good, context: 24, batchTokens: 64, shardTokens: 400)
        func refused(_ name: String, naming file: String, _ message: String, _ damage: (URL) throws -> Void) throws {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.copyItem(at: good, to: folder)
            try damage(folder)
            let error = #expect(throws: InputError.self, "\(name)") {
                _ = try AnalysisInputs(options: Self.folderOptions(folder, sae: "seed-sae-relu-l2", output: nil))
            }
            #expect(error?.path == folder.appendingPathComponent(file).path, "\(name): \(String(describing: error))")
            #expect(error?.message.contains(message) == true, "\(name): \(String(describing: error))")
        }
        let shard0 = ActivationDump.shardName(0), shard1 = ActivationDump.shardName(1)
        try refused("width", naming: shard1, "is 32 wide ([296, 32]) but the SAE's d_in is 64") { folder in
            try NPY.write([Float](repeating: 0, count: 296 * 32), shape: [296, 32], to: folder.appendingPathComponent(shard1))
        }
        try refused("missing", naming: shard1, "activation shard missing") { folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent(shard1))
        }
        try refused("table", naming: "tokens.npy", "the token table has 695 rows but the shards hold 696") { folder in
            let table = try TokenTable(contentsOf: folder.appendingPathComponent("tokens.npy"))
            try TokenTable(
                tokenIDs: Array(table.tokenIDs.dropLast()), textIndices: Array(table.textIndices.dropLast()),
                positions: Array(table.positions.dropLast())
            ).writeNPY(to: folder.appendingPathComponent("tokens.npy"))
        }
        try refused("json", naming: ActivationManifest.fileName, "malformed JSON") { folder in
            try Data("{\"format\": ".utf8).write(to: folder.appendingPathComponent(ActivationManifest.fileName))
        }
        try refused("dtype", naming: ActivationManifest.fileName, "key \"dtype\" must be one of") { folder in
            try rewriteManifest(folder) { $0["dtype"] = "float8" }
        }
        try refused("escape", naming: ActivationManifest.fileName, "must be relative to the folder") { folder in
            try rewriteManifest(folder) { $0["tokens"] = "../tokens.npy" }
        }
        try refused("hook", naming: ActivationManifest.fileName, "the activations are at blocks.1.hook_resid_post but the SAE reads") { folder in
            try rewriteManifest(folder) { $0["hook_name"] = "blocks.1.hook_resid_post" }
        }
        try refused("nan", naming: shard0, "activation row 399 of this shard holds NaN") { folder in
            let url = folder.appendingPathComponent(shard0)
            var values = try NPY.read(url).floatValues()
            values[399 * 64 + 5] = .nan
            try NPY.write(values, shape: [400, 64], to: url)
        }
        try refused("order", naming: "tokens.npy", "appears again after other texts") { folder in
            let url = folder.appendingPathComponent("tokens.npy")
            var table = try TokenTable(contentsOf: url)
            table.textIndices[table.count - 1] = table.textIndices[0]
            try table.writeNPY(to: url)
        }
        try refused("token", naming: "tokens.npy", "outside the tokenizer's") { folder in
            let url = folder.appendingPathComponent("tokens.npy")
            var table = try TokenTable(contentsOf: url)
            table.tokenIDs[3] = 100_000
            try table.writeNPY(to: url)
        }
    }
}

/// Edits `folder/activations.json` as a JSON object.
func rewriteManifest(_ folder: URL, _ edit: (NSMutableDictionary) -> Void) throws {
    let url = folder.appendingPathComponent(ActivationManifest.fileName)
    let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: .mutableContainers) as? NSMutableDictionary)
    edit(manifest)
    try JSONSerialization.data(withJSONObject: manifest).write(to: url)
}
