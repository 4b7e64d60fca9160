import Formats
import Foundation
import LMRuntime
import Testing

/// `tokenize`, `inspect-sae` and `activations` as users run them, checked against references computed outside the
/// Swift code: Hugging Face `tokenizers` ids, the SAE fixtures' own config/history/weight files, and transformers'
/// hook activations (scripts/fixtures/make_pipeline_fixtures.py, make_tokenizer_fixtures.py, make_model_fixtures.py).
@Suite struct InspectionCommandTests {
    static let fixtures = CommandRunner.fixtures

    static func json(_ url: URL) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed])
    }

    /// Each output line parsed as a JSON list of ids.
    static func idLines(_ output: String) throws -> [[Int]] {
        try output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Int], "not an id list: \($0)")
        }
    }

    /// A failure is one line on standard error, starting with "error: " and naming `path`, and exit status 1.
    static func expectOneErrorLine(
        _ result: CommandRunner.Result, naming path: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let lines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardError.hasPrefix("error: \(path)"), "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(result.standardOutput.isEmpty, sourceLocation: sourceLocation)
    }

    // MARK: tokenize

    /// The pipeline corpus through the pipeline model's tokenizer.json: the ids HF `tokenizers` gave each used text
    /// (expected.json lists every token of the analysis with its text index; empty/blank texts are not analyzed).
    @Test func tokenizeMatchesHuggingFaceOnThePipelineCorpus() throws {
        let expected = try #require(try Self.json(Self.fixtures.appendingPathComponent("pipeline/expected.json")) as? [String: Any])
        let tokenIDs = try #require(expected["token_id"] as? [Int])
        let textIndices = try #require(expected["text_idx"] as? [Int])
        var reference: [Int: [Int]] = [:]
        for (id, text) in zip(tokenIDs, textIndices) { reference[text, default: []].append(id) }

        let result = try CommandRunner.run([
            "tokenize", "--model", Self.fixtures.appendingPathComponent("pipeline/model").path,
            "--data", Self.fixtures.appendingPathComponent("pipeline/corpus.json").path,
        ])
        let lines = try Self.idLines(result.standardOutput)
        #expect(lines.count == expected["n_texts"] as? Int)
        #expect(reference.count == expected["n_texts_used"] as? Int)
        for (text, ids) in reference.sorted(by: { $0.key < $1.key }) {
            #expect(lines[text] == ids, "text \(text)")
        }
        for skipped in try #require(expected["skipped"] as? [Int]) { #expect(reference[skipped] == nil) }
        #expect(lines[5] == [], "the empty text")
    }

    /// Every case of a tokenizer fixture (a Llama-3 style one, which prepends a BOS id), read from standard input.
    @Test(arguments: ["tiny-llama3", "tiny-gpt2"])
    func tokenizeFromStandardInputMatchesHuggingFace(_ name: String) throws {
        let (root, cleanup) = CommandRunner.scratch("tokenize")
        defer { cleanup() }
        try FileManager.default.copyItem(
            at: Self.fixtures.appendingPathComponent("tokenizer/\(name).json"),
            to: root.appendingPathComponent("tokenizer.json"))
        let cases = try #require(
            try Self.json(Self.fixtures.appendingPathComponent("tokenizer/\(name)_cases.json"))
                as? [String: Any])
        let encodings = try #require(cases["encode"] as? [[String: Any]])
        let texts = encodings.map { $0["text"] as! String }
        #expect(texts.count > 100)
        let input = root.appendingPathComponent("texts.json")
        try JSONSerialization.data(withJSONObject: texts).write(to: input)

        let result = try Self.run(["tokenize", "--model", root.path], standardInput: input)
        #expect(result.status == 0, "\(result.standardError)")
        let lines = try Self.idLines(result.standardOutput)
        try #require(lines.count == texts.count)
        for (line, encoding) in zip(lines, encodings) {
            #expect(line == encoding["ids"] as? [Int], "\(String(reflecting: encoding["text"] as! String))")
        }
    }

    @Test func tokenizeRefusesBadInput() throws {
        let (root, cleanup) = CommandRunner.scratch("tokenize-errors")
        defer { cleanup() }
        let model = Self.fixtures.appendingPathComponent("pipeline/model")
        let corpus = Self.fixtures.appendingPathComponent("pipeline/corpus.json").path
        let missingModel = root.appendingPathComponent("no-model")
        Self.expectOneErrorLine(
            try CommandRunner.run(["tokenize", "--model", missingModel.path, "--data", corpus], expectStatus: 1),
            naming: missingModel.appendingPathComponent("tokenizer.json").path)
        let missingData = root.appendingPathComponent("missing.json").path
        Self.expectOneErrorLine(
            try CommandRunner.run(["tokenize", "--model", model.path, "--data", missingData], expectStatus: 1),
            naming: missingData)
        let notStrings = root.appendingPathComponent("numbers.json")
        try Data("[1, 2]".utf8).write(to: notStrings)
        let result = try CommandRunner.run(["tokenize", "--model", model.path, "--data", notStrings.path], expectStatus: 1)
        Self.expectOneErrorLine(result, naming: notStrings.path)
        #expect(result.standardError.contains("not a JSON list of strings"))
        // A file that is not a tokenizer.json (here, a model config) is refused naming it.
        let notTokenizer = root.appendingPathComponent("bad-model")
        try FileManager.default.createDirectory(at: notTokenizer, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: model.appendingPathComponent("config.json"),
            to: notTokenizer.appendingPathComponent("tokenizer.json"))
        Self.expectOneErrorLine(
            try CommandRunner.run(["tokenize", "--model", notTokenizer.path, "--data", corpus], expectStatus: 1),
            naming: notTokenizer.appendingPathComponent("tokenizer.json").path)
    }

    // MARK: inspect-sae

    /// The seed SAE: every fact against its config.json, history.json and the fixture script's list of features
    /// that never fired in training (golden.json's training_dead).
    @Test func inspectSeedSAE() throws {
        let directory = Self.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2")
        let config = try #require(try Self.json(directory.appendingPathComponent("config.json")) as? [String: Any])
        let history = try #require(try Self.json(directory.appendingPathComponent("history.json")) as? [String: [Double]])
        let golden = try #require(try Self.json(Self.fixtures.appendingPathComponent("sae/golden.json")) as? [String: Any])
        let dead = try #require((golden["training_dead"] as? [String: [Int]])?["seed-sae-btopk8-l2"])
        let dIn = try #require(config["d_in"] as? Int), dSae = try #require(config["d_sae"] as? Int)
        let k = try #require(config["top_k"] as? Int)
        let hook = try #require(config["hook_spec"] as? String)

        let text = try CommandRunner.run(["inspect-sae", directory.path]).standardOutput
        let lines = text.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.contains("SAE: \(directory.path)"))
        #expect(lines.contains("format: seed"))
        #expect(lines.contains("architecture: batchtopk k = \(k)"))
        #expect(lines.contains("d_in × d_sae: \(dIn) × \(dSae)"))
        #expect(lines.contains("hook: \(hook) (layer \(config["hook_layer"] as! String))"))
        #expect(lines.contains("dtype: \(config["dtype"] as! String) (computed in float32)"))
        #expect(lines.contains("history: \(history["loss"]!.count) epochs"))
        for (name, values) in history {
            #expect(lines.contains("\(name) \(Self.format(values.first!)) → \(Self.format(values.last!))"), "curve \(name)")
        }

        let summary = try Self.inspectJSON(directory)
        let summaryConfig = try #require(summary["config"] as? [String: Any])
        #expect(summaryConfig["architecture"] as? String == "batchtopk")
        #expect(summaryConfig["k"] as? Int == k)
        #expect(summaryConfig["d_in"] as? Int == dIn)
        #expect(summaryConfig["d_sae"] as? Int == dSae)
        #expect(summaryConfig["hook_name"] as? String == hook)
        #expect(summary["fraction_ever_fired"] as? Double == Double(dSae - dead.count) / Double(dSae))
        #expect(summary["history_epochs"] as? Int == history["loss"]!.count)
        let curves = try #require(summary["curves"] as? [[String: Any]])
        #expect(curves.map { $0["name"] as! String } == history.keys.sorted())
        for curve in curves {
            let values = history[curve["name"] as! String]!
            #expect(curve["first"] as? Double == values.first && curve["last"] as? Double == values.last)
        }
    }

    /// A SAELens v3 SAE with a per-feature scaling_factor: config facts against cfg.json, and ‖b_dec‖, b_enc and the
    /// decoder norms (‖W_dec row‖ · scaling_factor, the factor folded into the decoder) computed here in float64
    /// from sae_weights.safetensors.
    @Test func inspectSAELensSAE() throws {
        let directory = Self.fixtures.appendingPathComponent("sae/saelens-standard-legacy")
        let config = try #require(try Self.json(directory.appendingPathComponent("cfg.json")) as? [String: Any])
        let weights = try SafetensorsFile(contentsOf: directory.appendingPathComponent("sae_weights.safetensors"))
        let decoder = try weights.floatTensor("W_dec"), scale = try weights.floatTensor("scaling_factor")
        let dIn = try #require(config["d_in"] as? Int), dSae = try #require(config["d_sae"] as? Int)
        #expect(decoder.shape == [dSae, dIn])
        let decoderNorms = (0..<dSae).map { row in
            abs(Double(scale.values[row]))
                * decoder.values[(row * dIn)..<((row + 1) * dIn)]
                .reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        }
        let bDecNorm = try weights.floatTensor("b_dec").values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let bEnc = try weights.floatTensor("b_enc").values.map(Double.init)

        let summary = try Self.inspectJSON(directory)
        let summaryConfig = try #require(summary["config"] as? [String: Any])
        #expect(summaryConfig["format"] as? String == "saelens")
        #expect(summaryConfig["architecture"] as? String == "relu")
        #expect(summaryConfig["k"] == nil)
        #expect(summaryConfig["d_in"] as? Int == dIn && summaryConfig["d_sae"] as? Int == dSae)
        #expect(summaryConfig["hook_name"] as? String == config["hook_point"] as? String)
        #expect(summaryConfig["layer"] as? Int == config["hook_point_layer"] as? Int)
        #expect(summaryConfig["model_name"] as? String == config["model_name"] as? String)
        #expect(summaryConfig["folded_feature_scaling_factor"] as? Bool == true)
        #expect(Self.close(summary["b_dec_norm"], bDecNorm))
        try Self.expectStatistics(summary["b_enc"], bEnc)
        try Self.expectStatistics(summary["decoder_norms"], decoderNorms)
        #expect(summary["fraction_ever_fired"] == nil && summary["history_epochs"] == nil)

        let text = try CommandRunner.run(["inspect-sae", directory.path]).standardOutput
        #expect(text.contains("architecture:   relu\n"))
        #expect(text.contains("d_in × d_sae:   \(dIn) × \(dSae)\n"))
        #expect(text.contains("hook:           \(config["hook_point"] as! String)  (layer 2)\n"))
        #expect(text.contains("folded:         per-feature scaling_factor\n"))
        #expect(text.contains("history:        none"))
    }

    /// A SAELens v6 TopK SAE: k, hook and model from cfg.json's metadata; decoder rows rescaled to unit norm.
    @Test func inspectSAELensTopK() throws {
        let directory = Self.fixtures.appendingPathComponent("sae/saelens-topk-v6")
        let config = try #require(try Self.json(directory.appendingPathComponent("cfg.json")) as? [String: Any])
        let metadata = try #require(config["metadata"] as? [String: Any])
        let text = try CommandRunner.run(["inspect-sae", directory.path]).standardOutput
        #expect(text.contains("architecture:   topk  k = \(config["k"] as! Int)\n"))
        #expect(text.contains("d_in × d_sae:   \(config["d_in"] as! Int) × \(config["d_sae"] as! Int)\n"))
        #expect(text.contains("hook:           \(metadata["hook_name"] as! String)  (layer 2)\n"))
        #expect(text.contains("model:          \(metadata["model_name"] as! String)  (family unknown: not checked against the model)\n"))
        #expect(text.contains("folded:         rescale_acts_by_decoder_norm\n"))
        let norms = try #require(try Self.inspectJSON(directory)["decoder_norms"] as? [String: Double])
        #expect(abs(norms["min"]! - 1) < 1e-6 && abs(norms["max"]! - 1) < 1e-6)
    }

    @Test func inspectRefusesBadDirectories() throws {
        let missing = Self.fixtures.appendingPathComponent("sae/no-such-sae").path
        let result = try CommandRunner.run(["inspect-sae", missing], expectStatus: 1)
        #expect(result.standardError == "error: \(missing): SAE directory not found\n")
        let notSAE = Self.fixtures.appendingPathComponent("sae").path
        Self.expectOneErrorLine(try CommandRunner.run(["inspect-sae", notSAE], expectStatus: 1), naming: notSAE)
        for (name, file) in [
            ("bad-seed-nan", "weights.pt"), ("bad-seed-missing-wdec", "weights.pt"),
            ("bad-saelens-dsae", "sae_weights.safetensors"),
        ] {
            let directory = Self.fixtures.appendingPathComponent("sae/\(name)")
            let result = try CommandRunner.run(["inspect-sae", "--json", directory.path], expectStatus: 1)
            // Each names the offending file inside the directory.
            Self.expectOneErrorLine(result, naming: directory.appendingPathComponent(file).path + ": ")
        }
    }

    /// Release formats through the CLI: a sparsify parent folder needs --hookpoint (the error lists them); Gemma
    /// Scope's site comes from --site when the path does not say; facts against the fixtures' configs.
    @Test func inspectReleaseFormats() throws {
        let formats = Self.fixtures.appendingPathComponent("sae/formats")
        let sparsify = formats.appendingPathComponent("sae-tiny-sparsify")
        let refused = try CommandRunner.run(["inspect-sae", sparsify.path], expectStatus: 1)
        Self.expectOneErrorLine(refused, naming: sparsify.path)
        #expect(refused.standardError.contains("layers.1, layers.2.mlp"))
        let cfg = try #require(try Self.json(sparsify.appendingPathComponent("layers.1/cfg.json")) as? [String: Any])
        let text = try CommandRunner.run(["inspect-sae", "--hookpoint", "layers.1", sparsify.path]).standardOutput
        #expect(text.contains("format:         sparsify\n"))
        #expect(text.contains("architecture:   topk  k = \(cfg["k"] as! Int)\n"))
        #expect(text.contains("hook:           blocks.1.hook_resid_post  (layer 1)  (release name layers.1)\n"))

        let gemma = formats.appendingPathComponent("downloads/layer_5/width_16k/average_l0_7")
        let mlp = try Self.inspectJSON(gemma, ["--site", "mlp"])
        #expect((mlp["config"] as? [String: Any])?["hook_name"] as? String == "blocks.5.hook_mlp_out")
        #expect((mlp["config"] as? [String: Any])?["format"] as? String == "gemma-scope")
        Self.expectOneErrorLine(
            try CommandRunner.run(["inspect-sae", "--site", "resid", gemma.path], expectStatus: 1),
            naming: "--site must be res, mlp or att")
    }

    // MARK: activations

    /// The tiny Qwen3 of Tests/Fixtures/model with a tokenizer.json written here that maps one ASCII character to
    /// each token id of the reference sequences (byte-level BPE without merges), so the command's text input
    /// becomes exactly the ids that transformers ran. Each text fits one window: every row must equal the
    /// transformers hook activation of its sequence run alone.
    @Test(arguments: [("blocks.1.hook_resid_post", 16), ("blocks.3.hook_mlp_out", 4096), ("blocks.0.hook_resid_pre", 7)])
    func activationsMatchTransformers(_ hook: String, _ batchTokens: Int) throws {
        let (root, cleanup) = CommandRunner.scratch("activations")
        defer { cleanup() }
        let fixture = try ModelFixture(root)
        let output = root.appendingPathComponent("out/acts")
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)

        // The tokenizer bridge itself: tokenize gives the reference ids.
        let tokenized = try CommandRunner.run(["tokenize", "--model", fixture.model.path, "--data", fixture.corpus.path])
        #expect(try Self.idLines(tokenized.standardOutput) == fixture.sequences)

        let result = try CommandRunner.run([
            "activations", "--model", fixture.model.path, "--data", fixture.corpus.path,
            "--hook", hook, "-o", output.path, "--ctx", "64",
            "--batch-tokens", "\(batchTokens)",
        ])
        let tokens = fixture.sequences.map(\.count).reduce(0, +)
        #expect(result.standardError.hasPrefix("\(output.path): [\(tokens), 64] float32 at \(hook) from 3 texts"))
        let array = try NPY.read(output.appendingPathComponent("activations-00000.npy"))
        #expect(array.dtype == .float32)
        try #require(array.shape == [tokens, 64])
        let values = try array.floatValues()
        let reference = try (0..<fixture.sequences.count).flatMap { try fixture.reference.floatTensor("\($0).\(hook)").values }
        #expect(Self.relativeError(values, reference) <= 1e-5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path) == ["acts"])
        // The rest of the activation folder (docs/activations.md): the token table and the manifest.
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
                == ["activations-00000.npy", "activations.json", "tokenizer.json", "tokens.npy"])
        let table = try NPY.read(output.appendingPathComponent("tokens.npy")).int32Values()
        #expect(stride(from: 0, to: table.count, by: 3).map { Int(table[$0]) } == fixture.sequences.flatMap { $0 })
        #expect(
            stride(from: 1, to: table.count, by: 3).map { table[$0] } == fixture.sequences.indices.flatMap { i in fixture.sequences[i].map { _ in Int32(i) } })
        #expect(stride(from: 2, to: table.count, by: 3).map { table[$0] } == fixture.sequences.flatMap { $0.indices.map(Int32.init) })
        let manifest = try #require(try Self.json(output.appendingPathComponent("activations.json")) as? [String: Any])
        #expect(manifest["hook_name"] as? String == hook && manifest["d_in"] as? Int == 64 && manifest["dtype"] as? String == "float32")
        #expect(manifest["context"] as? Int == 64 && manifest["n_texts"] as? Int == 3)
    }

    /// `--dtype bf16` (bf16 weight matrices, fp32 activations) stays within the forward's documented bf16 tolerance
    /// (3 % of the scale; docs/bf16.md) of transformers' fp32 activations, and says which kernel multiplied.
    @Test func bf16ActivationsStayWithinTheirToleranceOfTransformers() throws {
        let (root, cleanup) = CommandRunner.scratch("activations-bf16")
        defer { cleanup() }
        let fixture = try ModelFixture(root)
        let output = root.appendingPathComponent("acts")
        let hook = "blocks.3.hook_resid_post"
        let result = try CommandRunner.run([
            "activations", "--model", fixture.model.path, "--data", fixture.corpus.path,
            "--hook", hook, "-o", output.path, "--ctx", "64", "--dtype", "bf16",
        ])
        #expect(result.standardError.contains("bf16 products: "))
        let values = try NPY.read(output.appendingPathComponent("activations-00000.npy")).floatValues()
        let reference = try (0..<fixture.sequences.count).flatMap { try fixture.reference.floatTensor("\($0).\(hook)").values }
        let error = Self.relativeError(values, reference)
        #expect(error <= 0.03 && error > 1e-5, "bf16 vs transformers fp32: \(error)")
        let rejected = try CommandRunner.run(
            ["activations", "--model", fixture.model.path, "--data", fixture.corpus.path, "--hook", hook, "-o", output.path, "--dtype", "fp16"],
            expectStatus: 64)  // ArgumentParser's usage error (EX_USAGE)
        #expect(rejected.standardError.contains("fp16"))
    }

    /// --ctx 8 splits the 12- and 23-token texts into windows that restart at position 0: each text's first window
    /// is the reference's first 8 rows, and the rows after it are not the reference's (they lost their context).
    @Test func activationsRestartEachWindow() throws {
        let (root, cleanup) = CommandRunner.scratch("activations-ctx")
        defer { cleanup() }
        let fixture = try ModelFixture(root)
        let output = root.appendingPathComponent("acts")
        let hook = "blocks.2.hook_resid_post"
        try CommandRunner.run([
            "activations", "--model", fixture.model.path, "--data", fixture.corpus.path,
            "--hook", hook, "-o", output.path, "--ctx", "8", "--batch-tokens", "20",
        ])
        let values = try NPY.read(output.appendingPathComponent("activations-00000.npy")).floatValues()
        var row = 0
        for (index, sequence) in fixture.sequences.enumerated() {
            let reference = try fixture.reference.floatTensor("\(index).\(hook)").values
            let first = min(8, sequence.count) * 64
            #expect(Self.relativeError(values[(row * 64)..<(row * 64 + first)], reference[0..<first]) <= 1e-5)
            if sequence.count > 8 {
                #expect(
                    Self.relativeError(
                        values[(row * 64 + first)..<((row + sequence.count) * 64)],
                        reference[first...]) > 1e-2)
            }
            row += sequence.count
        }
        #expect(values.count == row * 64)
    }

    @Test func activationsRefusesBadInput() throws {
        let (root, cleanup) = CommandRunner.scratch("activations-errors")
        defer { cleanup() }
        let fixture = try ModelFixture(root)
        let output = root.appendingPathComponent("acts")
        func run(
            model: URL = fixture.model, data: URL = fixture.corpus, hook: String = "blocks.1.hook_resid_post",
            output: URL = output, _ extra: [String] = []
        ) throws -> CommandRunner.Result {
            try CommandRunner.run(
                [
                    "activations", "--model", model.path, "--data", data.path, "--hook", hook,
                    "-o", output.path,
                ] + extra, expectStatus: 1)
        }
        let missingModel = root.appendingPathComponent("no-model")
        Self.expectOneErrorLine(try run(model: missingModel), naming: missingModel.appendingPathComponent("config.json").path)
        let missingData = root.appendingPathComponent("missing.json")
        Self.expectOneErrorLine(try run(data: missingData), naming: missingData.path)
        let noDirectory = root.appendingPathComponent("no-dir/acts")
        Self.expectOneErrorLine(try run(output: noDirectory), naming: noDirectory.path)
        // A hook the model lacks names the model's config.
        let badHook = try run(hook: "blocks.4.hook_resid_post")
        Self.expectOneErrorLine(badHook, naming: fixture.model.appendingPathComponent("config.json").path)
        #expect(badHook.standardError.contains(": invalid hook \"blocks.4.hook_resid_post\": the model has 4 blocks"))
        // A flag value is a usage error: ArgumentParser's exit status 64 and the usage.
        let zeroContext = try CommandRunner.run(
            [
                "activations", "--model", fixture.model.path, "--data", fixture.corpus.path,
                "--hook", "blocks.1.hook_resid_post", "-o", output.path, "--ctx", "0",
            ],
            expectStatus: 64)
        #expect(zeroContext.standardError.hasPrefix("Error: --ctx must be positive, not 0\n"))
        // The SAE directory is not a model directory.
        let sae = Self.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2")
        Self.expectOneErrorLine(try run(model: sae), naming: sae.appendingPathComponent("config.json").path)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() == ["corpus.json", "model"])
        // An existing output is not overwritten.
        let existing = root.appendingPathComponent("model")
        Self.expectOneErrorLine(try run(output: existing), naming: existing.path)
    }

    // MARK: helpers

    /// Tests/Fixtures/model/tiny-qwen3 (config, weights, transformers reference) plus a tokenizer.json and a corpus
    /// whose i-th text encodes to the i-th reference sequence.
    struct ModelFixture {
        let model: URL, corpus: URL
        let sequences: [[Int]]
        let reference: SafetensorsFile

        init(_ root: URL) throws {
            let source = InspectionCommandTests.fixtures.appendingPathComponent("model/tiny-qwen3")
            let referenceJSON = try #require(
                try InspectionCommandTests.json(source.appendingPathComponent("reference.json"))
                    as? [String: Any])
            sequences = try #require(referenceJSON["sequences"] as? [[Int]])
            reference = try SafetensorsFile(contentsOf: source.appendingPathComponent("reference.safetensors"))
            model = root.appendingPathComponent("model")
            try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
            for file in ["config.json", "model.safetensors"] {
                try FileManager.default.createSymbolicLink(
                    at: model.appendingPathComponent(file),
                    withDestinationURL: source.appendingPathComponent(file))
            }
            let ids = Array(Set(sequences.joined())).sorted()
            let characters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            try #require(ids.count <= characters.count)
            let character = Dictionary(uniqueKeysWithValues: zip(ids, characters))
            let tokenizer: [String: Any] = [
                "model": [
                    "type": "BPE", "vocab": Dictionary(uniqueKeysWithValues: ids.map { (String(character[$0]!), $0) }),
                    "merges": [String](),
                ],
                "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            ]
            try JSONSerialization.data(withJSONObject: tokenizer).write(to: model.appendingPathComponent("tokenizer.json"))
            corpus = root.appendingPathComponent("corpus.json")
            try JSONSerialization.data(withJSONObject: sequences.map { String($0.map { character[$0]! }) }).write(to: corpus)
        }
    }

    static func inspectJSON(_ directory: URL, _ options: [String] = []) throws -> [String: Any] {
        let output = try CommandRunner.run(["inspect-sae", "--json"] + options + [directory.path]).standardOutput
        return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
    }

    /// `sae-report` with standard input read from `file`; its output goes through files next to it.
    static func run(_ arguments: [String], standardInput file: URL) throws -> CommandRunner.Result {
        let outputFile = file.appendingPathExtension("stdout"), errorFile = file.appendingPathExtension("stderr")
        for url in [outputFile, errorFile] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handles = try (
            FileHandle(forReadingFrom: file), FileHandle(forWritingTo: outputFile),
            FileHandle(forWritingTo: errorFile)
        )
        defer { for handle in [handles.0, handles.1, handles.2] { try? handle.close() } }
        let process = Process()
        process.executableURL = CommandRunner.binary
        process.arguments = arguments
        (process.standardInput, process.standardOutput, process.standardError) = handles
        try process.run()
        process.waitUntilExit()
        return CommandRunner.Result(
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
    }

    /// %.6g, as the text report prints numbers.
    static func format(_ value: Double) -> String { String(format: "%.6g", value) }

    static func close(_ value: Any?, _ expected: Double, tolerance: Double = 1e-6) -> Bool {
        guard let value = value as? Double else { return false }
        return abs(value - expected) <= tolerance * max(1, abs(expected))
    }

    /// Min, mean, population std and max of `values` against an inspect-sae statistics object.
    static func expectStatistics(_ object: Any?, _ values: [Double], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let statistics = try #require(object as? [String: Double], sourceLocation: sourceLocation)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        for (key, expected) in [("min", values.min()!), ("mean", mean), ("std", std), ("max", values.max()!)] {
            #expect(
                close(statistics[key], expected), "\(key): \(statistics[key] ?? .nan) vs \(expected)",
                sourceLocation: sourceLocation)
        }
    }

    /// Largest absolute difference over the reference's largest magnitude.
    static func relativeError(_ a: some Collection<Float>, _ b: some Collection<Float>) -> Float {
        guard a.count == b.count else { return .infinity }
        let scale = b.map(abs).max() ?? 0
        let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        return scale > 0 ? error / scale : error
    }
}
