@testable import Formats
import Foundation
import LMRuntime
@testable import SAECore
import Testing

/// The release formats of scripts/fixtures/make_sae_format_fixtures.py: each fixture is in its release's exact
/// on-disk layout, and references/<case>.npz holds inputs with their codes and reconstruction computed in float64
/// (sparsify's by its own SparseCoder, the others by the published formulas).
@Suite("SAE release formats")
struct SAEFormatTests {
    static let formats = SAEFixtures.url("formats")

    static func load(_ path: String, _ options: SAELoadOptions = SAELoadOptions()) throws -> SparseAutoencoder {
        try SparseAutoencoder(directory: formats.appendingPathComponent(path), options: options)
    }

    /// (reference, SAE path, hookpoint)
    static let encodedCases: [(String, String, String?)] = [
        ("saelens-gated-v6", "saelens-gated-v6", nil),
        ("saelens-standard-cnr-legacy", "saelens-standard-cnr-legacy", nil),
        ("saelens-topk-layernorm-v6", "saelens-topk-layernorm-v6", nil),
        ("saelens-jumprelu-hookz-v6", "saelens-jumprelu-hookz-v6", nil),
        ("gemma-scope-res", "gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20", nil),
        ("gemma-scope-2-res", "gemma-scope-2-4b-pt-res/resid_post/layer_17_width_16k_l0_medium", nil),
        ("sparsify-layers.1", "sae-tiny-sparsify", "layers.1"),
        ("openai-resid-post-mlp-2", "openai/resid_post_mlp_v5_32k/autoencoders/2.pt", nil),
        ("llama-scope-l2r", "Llama3_1-8B-Base-LXR-8x/Llama3_1-8B-Base-L2R-8x", nil),
    ]

    @Test("codes, L0 and reconstruction match the reference encoding", arguments: encodedCases)
    func matchesReference(reference: String, path: String, hookpoint: String?) throws {
        let sae = try Self.load(path, SAELoadOptions(hookpoint: hookpoint))
        let arrays = try NPZ.read(Self.formats.appendingPathComponent("references/\(reference).npz"))
        let x = try arrays["x"]!.floatValues(), n = arrays["x"]!.shape[0]
        let expectedCodes = try arrays["codes"]!.floatValues(), expectedL0 = try arrays["l0"]!.int64Values().map(Int.init)
        let expectedReconstruction = try arrays["reconstruction"]!.floatValues()
        #expect(arrays["codes"]!.shape == [n, sae.dSae] && arrays["x"]!.shape == [n, sae.dIn])

        let codes = try SAEEncoder(sae: sae).encode(x, rows: n)
        #expect((0..<n).map { codes.range(ofRow: $0).count } == expectedL0, "per-token L0")
        expectRowsClose(codes.dense(), expectedCodes, width: sae.dSae, "codes")
        for path in [SparseAutoencoder.DecodePath.sparse, .dense] {
            expectRowsClose(sae.decode(codes, denormalizing: x, path: path), expectedReconstruction, width: sae.dIn, "x̂ (\(path))")
        }
    }

    /// |a − b| ≤ 1e-5 · max(|b|, max |row of b|): relative to the value, floored at the row's scale so entries near
    /// zero do not demand more than float32 gives.
    func expectRowsClose(
        _ actual: [Float], _ expected: [Float], width: Int, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        guard actual.count == expected.count else { return }
        for row in 0..<(expected.count / width) {
            let range = (row * width)..<((row + 1) * width)
            let scale = expected[range].map { abs(Double($0)) }.max() ?? 0
            if let j = range.first(where: { abs(Double(actual[$0]) - Double(expected[$0])) > 1e-5 * max(abs(Double(expected[$0])), scale) }) {
                Issue.record("\(what)[\(row), \(j - range.lowerBound)] = \(actual[j]), expected \(expected[j])", sourceLocation: sourceLocation)
                return
            }
        }
    }

    @Test("SAELens: gated, per-token normalisations, hook_z, metadata of both layouts")
    func saeLensConfigs() throws {
        let gated = try Self.load("saelens-gated-v6")
        #expect(gated.config.format == .saelens && gated.config.architecture == .gated && gated.threshold?.count == 256)
        #expect(gated.config.metadata.prependBOS == false && gated.config.metadata.contextSize == 256)
        #expect(gated.config.metadata.modelFromPretrainedKwargs == ["center_writing_weights": .bool(false)])
        #expect(gated.logFeatureDensity?.count == 256 && gated.logFeatureDensity!.allSatisfy { $0 < 0 })

        let legacy = try Self.load("saelens-standard-cnr-legacy").config
        #expect(legacy.normalization == .constantNormRescale && legacy.architecture == .relu)
        #expect(legacy.hookName == "blocks.2.hook_resid_pre" && legacy.layer == 2)
        #expect(legacy.metadata.prependBOS == true && legacy.metadata.contextSize == 64 && legacy.metadata.datasetPath == "tiny/corpus")
        #expect(legacy.metadata.modelFromPretrainedKwargs == ["center_writing_weights": .bool(true)])

        let layerNorm = try Self.load("saelens-topk-layernorm-v6").config
        #expect(layerNorm.normalization == .layerNorm && layerNorm.architecture == .topK && layerNorm.k == 8)

        let hookZ = try Self.load("saelens-jumprelu-hookz-v6").config
        #expect(hookZ.hookName == "blocks.1.attn.hook_z" && hookZ.layer == 1 && !hookZ.appliesDecoderBiasToInput)
    }

    @Test("Gemma Scope: hook from the folder names, site from the repository name or the option")
    func gemmaScopeHooks() throws {
        let res = try Self.load("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20").config
        #expect(res.format == .gemmaScope && res.architecture == .jumpReLU && !res.appliesDecoderBiasToInput)
        #expect(res.hookName == "blocks.3.hook_resid_post" && res.modelName == "google/gemma-2-2b")
        let npz = try Self.load("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20/params.npz").config
        #expect(npz == res, "the params.npz file itself loads its folder")

        let att = try Self.load("gemma-scope-9b-it-att/layer_1/width_16k/average_l0_9").config
        #expect(att.hookName == "blocks.1.attn.hook_z" && att.modelName == "google/gemma-2-9b-it")
        let plain = "downloads/layer_5/width_16k/average_l0_7"
        #expect(try Self.load(plain).config.hookName == "blocks.5.hook_resid_post", "default res")
        #expect(try Self.load(plain, SAELoadOptions(site: .mlp)).config.hookName == "blocks.5.hook_mlp_out")
        let conflict = try #require(throws: InputError.self) {
            try Self.load("gemma-scope-9b-it-att/layer_1/width_16k/average_l0_9", SAELoadOptions(site: .res))
        }
        #expect(conflict.message.contains("site att"))

        let two = try Self.load("gemma-scope-2-4b-pt-res/resid_post/layer_17_width_16k_l0_medium").config
        #expect(two.format == .gemmaScope2 && two.hookName == "blocks.17.hook_resid_post" && two.layer == 17)
        #expect(two.modelName == "google/gemma-3-4b-pt" && two.metadata.sourceHookName == "model.layers.17.output")
    }

    @Test(
        "HF module names map to TransformerLens hooks",
        arguments: [
            ("layers.6", "blocks.6.hook_resid_post"), ("layers.6.mlp", "blocks.6.hook_mlp_out"),
            ("layers.6.self_attn", "blocks.6.hook_attn_out"), ("model.layers.17.output", "blocks.17.hook_resid_post"),
            ("model.layers.17.post_feedforward_layernorm.output", "blocks.17.hook_mlp_out"),
            ("model.layers.17.self_attn.o_proj.input", "blocks.17.attn.hook_z"), ("embed_tokens", "hook_embed"),
            ("gpt_neox.layers.2.attention", "blocks.2.hook_attn_out"), ("layers.x", nil), ("lm_head", nil),
        ])
    func hfHookNames(name: String, hook: String?) {
        #expect(HFHookNames.transformerLensHook(name) == hook)
    }

    @Test("sparsify: a hookpoint of a parent folder, with the training config's facts")
    func sparsify() throws {
        let sae = try Self.load("sae-tiny-sparsify", SAELoadOptions(hookpoint: "layers.1"))
        let c = sae.config
        #expect(c.format == .sparsify && c.architecture == .topK && c.k == 12 && c.appliesDecoderBiasToInput)
        #expect(c.hookName == "blocks.1.hook_resid_post" && c.metadata.sourceHookName == "layers.1")
        #expect(c.modelName == "tiny-qwen3" && c.metadata.contextSize == 256)
        let mlp = try Self.load("sae-tiny-sparsify/layers.2.mlp").config
        #expect(mlp.hookName == "blocks.2.hook_mlp_out" && mlp.dSae == 16 && mlp.k == 4, "num_latents from expansion_factor")
    }

    @Test("OpenAI: k and activation from the state dict, hook from the path, input layer norm")
    func openAI() throws {
        let topK = try Self.load("openai/resid_post_mlp_v5_32k/autoencoders/2.pt").config
        #expect(topK.format == .openAI && topK.architecture == .topK && topK.k == 10 && topK.normalization == .layerNorm)
        #expect(topK.hookName == "blocks.2.hook_resid_post" && topK.modelName == "gpt2")
        #expect(try Self.load("openai/resid_post_mlp_v5_32k/autoencoders").config == topK, "the only .pt of a folder")
        let relu = try Self.load("openai/mlp_post_act_v4/autoencoders", SAELoadOptions(hookpoint: "1")).config
        #expect(relu.architecture == .relu && relu.normalization == .none && relu.hookName == "blocks.1.mlp.hook_post")
        let conflict = try #require(throws: InputError.self) {
            try Self.load("openai/resid_post_mlp_v5_32k/autoencoders/2.pt", SAELoadOptions(k: 32))
        }
        #expect(conflict.message.contains("k = 10") && conflict.path?.hasSuffix("2.pt") == true)
    }

    @Test("Llama Scope: dataset-wise norm folded, threshold scaled as SAELens does")
    func llamaScope() throws {
        let sae = try Self.load("Llama3_1-8B-Base-LXR-8x/Llama3_1-8B-Base-L2R-8x")
        let c = sae.config
        let s = 64.0.squareRoot() / 9.5
        #expect(c.format == .llamaScope && c.architecture == .jumpReLU && c.normalization == .expectedAverageOnlyIn)
        #expect(abs(c.inputScalingFactor! - s) < 1e-12 && c.hookName == "blocks.2.hook_resid_post")
        #expect(sae.threshold!.allSatisfy { abs(Double($0) - 0.52734375 * s) < 1e-6 })
        #expect(c.modelName == "meta-llama/Llama-3.1-8B" && c.metadata.prependBOS == true)
    }

    /// Each bad input is one InputError naming the file (or folder) and the problem.
    @Test(
        "bad inputs name the file and the problem",
        arguments: [
            ("bad-unknown-format", nil, "bad-unknown-format", "not an SAE directory: expected one of"),
            ("bad-gemma-scope-threshold/layer_0/width_16k/average_l0_1", nil, "params.npz", "tensor \"threshold\" has shape [17], expected [16]"),
            ("sae-tiny-sparsify", nil, "sae-tiny-sparsify", "2 sparsify hookpoint folders (layers.1, layers.2.mlp); choose one with hookpoint"),
            (
                "sae-tiny-sparsify", "layers.7", "sae-tiny-sparsify",
                "no hookpoint \"layers.7\" here; the folder holds the sparsify hookpoint folders layers.1, layers.2.mlp"
            ),
            ("openai/mlp_post_act_v4/autoencoders", nil, "autoencoders", "2 OpenAI SAE files (0.pt, 1.pt)"),
            ("gemma-scope-2b-pt-res", nil, "gemma-scope-2b-pt-res", "not an SAE directory"),
        ] as [(String, String?, String, String)])
    func badInputs(path: String, hookpoint: String?, file: String, problem: String) throws {
        let error = try #require(throws: InputError.self) { try Self.load(path, SAELoadOptions(hookpoint: hookpoint)) }
        #expect(error.path?.hasSuffix(file) == true, "path \(error.path ?? "nil") should end in \(file)")
        #expect(error.message.contains(problem), "\(error.message)")
    }

    @Test("a hook the model cannot capture is one error before any work")
    func hookAbsent() throws {
        let models = AnalysisPipelineTests.fixtures.appendingPathComponent("model")
        func spec(_ name: String) throws -> DecoderSpec { try DecoderSpec(contentsOf: models.appendingPathComponent("\(name)/config.json")) }
        // attn.hook_z is one the runtime captures (per-head outputs before W_O), so it resolves.
        let config = try Self.load("saelens-jumprelu-hookz-v6").config
        #expect(try SAEHookCheck.resolve(sae: config, modelWidth: 64, model: spec("tiny-qwen3")) == "blocks.1.attn.hook_z")
        let llama = models.appendingPathComponent("tiny-llama3/config.json")
        let layer = try #require(throws: InputError.self) {
            try SAEHookCheck.resolve(
                sae: try Self.load("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20").config,
                modelWidth: 64, model: spec("tiny-llama3"), modelConfig: llama)
        }
        #expect(layer.message.contains("blocks.3.hook_resid_post") && layer.message.contains("2 blocks") && layer.path == llama.path)
        // Pythia's parallel blocks have no hook_resid_mid.
        var mid = try Self.load("saelens-standard-cnr-legacy").config
        mid.hookName = "blocks.1.hook_resid_mid"
        let parallel = try #require(throws: InputError.self) {
            try SAEHookCheck.resolve(sae: mid, modelWidth: 64, model: spec("tiny-pythia"))
        }
        #expect(parallel.message.contains("blocks.1.hook_resid_mid does not exist in gpt_neox's parallel blocks"), "\(parallel.message)")
    }

    @Test(
        "the files a run fingerprints are the ones the loader reads",
        arguments: [
            ("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20", nil, ["params.npz"]),
            ("Llama3_1-8B-Base-LXR-8x/Llama3_1-8B-Base-L2R-8x", nil, ["checkpoints/final.safetensors", "hyperparams.json"]),
            ("sae-tiny-sparsify", "layers.1", ["layers.1/sae.safetensors", "layers.1/cfg.json", "config.json"]),
            ("openai/resid_post_mlp_v5_32k/autoencoders/2.pt", nil, ["2.pt"]),
            ("saelens-gated-v6", nil, ["sae_weights.safetensors", "cfg.json", "sparsity.safetensors"]),
        ] as [(String, String?, [String])])
    func inputFiles(path: String, hookpoint: String?, names: [String]) throws {
        let root = Self.formats.appendingPathComponent(path)
        let base = root.pathExtension == "pt" ? root.deletingLastPathComponent() : root
        let files = try SparseAutoencoder.inputFiles(at: root, options: SAELoadOptions(hookpoint: hookpoint))
        #expect(files.map { $0.standardizedFileURL.path } == names.map { base.appendingPathComponent($0).standardizedFileURL.path })
    }

    @Test("inspection names format, architecture, hook, normalisation and model")
    func inspection() throws {
        let text = SAEInspection(try Self.load("saelens-topk-layernorm-v6")).text
        #expect(text.contains("format:         saelens\n") && text.contains("normalization:  layer_norm per token"))
        #expect(
            text.contains("model:          tiny-qwen3  (family unknown: not checked against the model)\n")
                && text.contains("training:       prepend_bos true, context 128"))
        let llamaScope = SAEInspection(try Self.load("Llama3_1-8B-Base-LXR-8x/Llama3_1-8B-Base-L2R-8x")).text
        #expect(llamaScope.contains("model:          meta-llama/Llama-3.1-8B  (expects model_type llama)\n"), "\(llamaScope)")
        let sparsify = SAEInspection(try Self.load("sae-tiny-sparsify", SAELoadOptions(hookpoint: "layers.1"))).text
        #expect(sparsify.contains("format:         sparsify\n") && sparsify.contains("(release name layers.1)"))
        let gated = SAEInspection(try Self.load("saelens-gated-v6"))
        #expect(gated.text.contains("architecture:   gated\n") && gated.logFeatureDensity != nil)
        #expect(gated.text.contains("model kwargs center_writing_weights=false"))
    }
}
