@testable import Formats
import Foundation
@testable import SAECore
import Testing

@Suite("Loading SAE directories")
struct SAELoadingTests {
    @Test("the seed's BatchTopK export")
    func seedBatchTopK() throws {
        let sae = try SAEFixtures.sae("seed-sae-btopk8-l2")
        let c = sae.config
        #expect(c.format == .seed && c.architecture == .batchTopK && c.k == 8)
        #expect(c.dIn == 64 && c.dSae == 256 && c.hookName == "blocks.2.hook_resid_post" && c.layer == 2)
        #expect(!c.usesEncoderBias && sae.encoderBias.allSatisfy { $0 == 0 })
        #expect(sae.everFired?.count == 256)
        #expect(sae.history?.epochs == 50)
        #expect(sae.history?.curves.keys.sorted() == ["l1_loss", "loss", "recon_loss", "sparsity"])
        #expect(sae.decoderNorms.allSatisfy { abs($0 - 1) < 1e-4 })
    }

    @Test("the seed's ReLU export uses b_enc")
    func seedReLU() throws {
        let sae = try SAEFixtures.sae("seed-sae-relu-l2")
        #expect(sae.config.architecture == .relu && sae.config.k == nil && sae.config.usesEncoderBias)
        #expect(sae.encoderBias.contains { $0 < 0 })
    }

    @Test("an older seed config: integer hook_layer, extra keys, no top_k, no hook_spec")
    func tolerantSeedConfig() throws {
        let sae = try SAEFixtures.sae("ok-seed-old-config")
        #expect(sae.config.architecture == .relu && sae.config.hookName == "blocks.1.hook_resid_post" && sae.config.layer == 1)
        #expect(sae.everFired == nil && sae.history == nil)
    }

    @Test("SAELens configs: legacy flat, v6 nested, jumprelu F16, expected_average_only_in")
    func saeLensConfigs() throws {
        let legacy = try SAEFixtures.sae("saelens-standard-legacy").config
        #expect(legacy.format == .saelens && legacy.architecture == .relu && legacy.hookName == "blocks.2.hook_resid_post")
        #expect(legacy.layer == 2 && legacy.foldedFeatureScalingFactor && legacy.modelName == "tiny-qwen3")

        let topk = try SAEFixtures.sae("saelens-topk-v6")
        #expect(topk.config.architecture == .topK && topk.config.k == 6 && topk.config.rescaledByDecoderNorm)
        #expect(topk.decoderNorms.allSatisfy { abs($0 - 1) < 1e-4 }, "folding the decoder norms leaves unit rows")

        let jump = try SAEFixtures.sae("saelens-jumprelu-f16")
        #expect(jump.config.architecture == .jumpReLU && !jump.config.appliesDecoderBiasToInput)
        #expect(jump.config.dtype == "float16" && jump.threshold?.count == 72 && jump.config.hookName == "blocks.1.hook_resid_post")

        let scaled = try SAEFixtures.sae("saelens-scaled").config
        #expect(scaled.normalization == .expectedAverageOnlyIn && scaled.inputScalingFactor == 0.37)
    }

    /// Each broken fixture must fail with an InputError naming the right file and the problem.
    @Test(
        "broken SAE directories are InputErrors naming the file",
        arguments: [
            ("bad-seed-missing-wdec", "weights.pt", "missing tensor \"W_dec\""),
            ("bad-seed-transposed-wenc", "weights.pt", "tensor \"W_enc\" has shape [8, 4], expected [4, 8]"),
            ("bad-seed-nan", "weights.pt", "b_dec holds a non-finite value"),
            ("bad-seed-hook-spec", "config.json", "hook_spec \"blocks.5.hook_resid_post\" disagrees"),
            ("bad-seed-config-json", "config.json", "malformed JSON"),
            ("bad-saelens-normalization", "cfg.json", "normalize_activations \"batch_norm\" is not supported"),
            ("bad-saelens-gated", "sae_weights.safetensors", "missing tensor \"b_gate\""),
            ("bad-saelens-no-scaler", "cfg.json", "no scaling factor"),
            ("bad-saelens-dsae", "sae_weights.safetensors", "expected [4, 9]"),
            ("does-not-exist", "does-not-exist", "SAE directory not found"),
            ("", "sae", "not an SAE directory"),
        ])
    func brokenDirectories(name: String, file: String, problem: String) throws {
        let error = try #require(throws: InputError.self) { try SAEFixtures.sae(name) }
        #expect(error.path?.hasSuffix(file) == true, "path \(error.path ?? "nil") should end in \(file)")
        #expect(error.message.contains(problem), "\(error.message)")
    }

    @Test("a seed directory without config.json, and a SAELens one without cfg.json")
    func missingConfigs() throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("sae-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temporary) }
        for (source, config) in [("seed-sae-relu-l2", "weights.pt"), ("saelens-scaled", "sae_weights.safetensors")] {
            let directory = temporary.appendingPathComponent(source)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: SAEFixtures.url(source).appendingPathComponent(config),
                to: directory.appendingPathComponent(config))
            let error = try #require(throws: InputError.self) { try SparseAutoencoder(directory: directory) }
            #expect(error.message.contains("missing"), "\(error.message)")
        }
    }

    /// A temporary SAELens directory with `weights` copied from a fixture and `config` as cfg.json.
    static func saeLensDirectory(weightsFrom fixture: String, config: String, scaler: String? = nil) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sae-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: SAEFixtures.url(fixture).appendingPathComponent("sae_weights.safetensors"),
            to: directory.appendingPathComponent("sae_weights.safetensors"))
        try Data(config.utf8).write(to: directory.appendingPathComponent("cfg.json"))
        if let scaler { try Data(scaler.utf8).write(to: directory.appendingPathComponent("activation_scaler.json")) }
        return directory
    }

    @Test("legacy configs: topk from activation_fn_kwargs, boolean normalize_activations with norm_scaling_factor")
    func legacyVariants() throws {
        let topk = try Self.saeLensDirectory(
            weightsFrom: "saelens-topk-v6",
            config: """
                {"d_in": 64, "d_sae": 80, "hook_name": "blocks.2.hook_resid_post", "hook_layer": 2,
                 "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 5}, "normalize_activations": null}
                """)
        defer { try? FileManager.default.removeItem(at: topk) }
        let topkConfig = try SparseAutoencoder(directory: topk).config
        #expect(topkConfig.architecture == .topK && topkConfig.k == 5 && !topkConfig.rescaledByDecoderNorm)

        let scaled = try Self.saeLensDirectory(
            weightsFrom: "saelens-scaled",
            config: """
                {"d_in": 64, "d_sae": 64, "hook_point": "blocks.2.hook_resid_post", "normalize_activations": true,
                 "norm_scaling_factor": 2.0}
                """)
        defer { try? FileManager.default.removeItem(at: scaled) }
        let folded = try SparseAutoencoder(directory: scaled)
        let plain = try SAEFixtures.sae("saelens-scaled")  // the same weights with factor 0.37 folded
        #expect(folded.config.inputScalingFactor == 2.0 && folded.config.normalization == .expectedAverageOnlyIn)
        // W_enc·s: the two foldings differ by the ratio of the factors.
        #expect(abs(folded.encoderWeight[5] / plain.encoderWeight[5] - Float(2.0 / 0.37)) < 1e-4)

        let badScaler = try Self.saeLensDirectory(
            weightsFrom: "saelens-scaled",
            config: """
                {"d_in": 64, "d_sae": 64, "metadata": {"hook_name": "blocks.2.hook_resid_post"},
                 "normalize_activations": "expected_average_only_in"}
                """, scaler: #"{"scaling_factor": -1}"#)
        defer { try? FileManager.default.removeItem(at: badScaler) }
        let error = try #require(throws: InputError.self) { try SparseAutoencoder(directory: badScaler) }
        #expect(error.message.contains("not a positive number"))
    }

    @Test("a config with a wrongly typed key names the key")
    func wrongType() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sae-tests-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: SAEFixtures.url("saelens-scaled/sae_weights.safetensors"),
            to: directory.appendingPathComponent("sae_weights.safetensors"))
        try Data(#"{"d_in": "sixty-four", "d_sae": 64, "metadata": {"hook_name": "blocks.2.hook_resid_post"}}"#.utf8)
            .write(to: directory.appendingPathComponent("cfg.json"))
        let error = try #require(throws: InputError.self) { try SparseAutoencoder(directory: directory) }
        #expect(error.message.contains("\"d_in\"") && error.path?.hasSuffix("cfg.json") == true)
    }
}
