import Foundation
import Testing

/// The bad SAE inputs of issue #13 through `analyze` (and `activations`), as users meet them: one line naming the file and the problem,
/// exit status 1, nothing written. (Activation shards of the wrong width: `ActivationFolderCommandTests`.)
@Suite struct BadSAEInputCommandTests {
    static let formats = CommandRunner.fixtures.appendingPathComponent("sae/formats")

    @Test(
        arguments: [
            // A folder of no SAE format (a config.json and a model.bin).
            ("bad-unknown-format", [], "bad-unknown-format", "not an SAE directory"),
            // A Gemma Scope threshold of 17 values for 16 features.
            ("bad-gemma-scope-threshold/layer_0/width_16k/average_l0_1", [], "params.npz", "tensor \"threshold\" has shape [17], expected [16]"),
            // A sparsify hookpoint the folder does not hold.
            ("sae-tiny-sparsify", ["--hookpoint", "layers.7"], "sae-tiny-sparsify", "no hookpoint \"layers.7\""),
        ] as [(String, [String], String, String)])
    func badSAEIsOneLineAndWritesNothing(sae: String, extra: [String], file: String, problem: String) throws {
        let (root, cleanup) = CommandRunner.scratch("bad-sae")
        defer { cleanup() }
        let output = root.appendingPathComponent("out")
        let result = try CommandRunner.run(
            [
                "analyze", "--model", CommandRunner.fixtures.appendingPathComponent("pipeline/model").path,
                "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
                "--sae", Self.formats.appendingPathComponent(sae).path, "-o", output.path,
            ] + extra, expectStatus: 1)
        Self.expectOneLine(result, naming: file, problem: problem)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    /// A folder of another kind given as an activation folder (a model directory): one line naming it, no manifest.
    @Test func aModelDirectoryIsNotAnActivationFolder() throws {
        let (root, cleanup) = CommandRunner.scratch("bad-activations")
        defer { cleanup() }
        let result = try CommandRunner.run(
            [
                "analyze", "--activations", CommandRunner.fixtures.appendingPathComponent("pipeline/model").path,
                "--sae", CommandRunner.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2").path,
                "-o", root.appendingPathComponent("out").path,
            ], expectStatus: 1)
        Self.expectOneLine(result, naming: "model", problem: "no activations.json here")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    /// An SAE whose hook the model does not have: a block past the last (blocks.40 on a 4-block Qwen3), or
    /// hook_resid_mid of Pythia's parallel blocks; through `analyze`, and through `activations` given the SAE or the
    /// hook: one line naming the model's config.json and the hook, exit status 1, nothing written.
    @Test(
        arguments: [
            ("analyze", "pipeline/model", "layer-40", "the SAE reads blocks.40.hook_resid_post (gemma-scope), which this qwen3 model cannot provide"),
            ("analyze", "model/tiny-pythia", "resid-mid", "blocks.1.hook_resid_mid does not exist in gpt_neox's parallel blocks"),
            ("activations", "model/tiny-pythia", "resid-mid", "the SAE reads blocks.1.hook_resid_mid (saelens), which this gpt_neox model"),
            ("activations", "pipeline/model", "--hook blocks.40.hook_resid_post", "invalid hook \"blocks.40.hook_resid_post\": the model has 4 blocks"),
            ("activations", "model/tiny-pythia", "--hook blocks.2.hook_resid_mid", "blocks.2.hook_resid_mid does not exist in gpt_neox's parallel blocks"),
        ])
    func aHookTheModelLacksIsOneLineAndWritesNothing(command: String, model: String, sae: String, problem: String) throws {
        let (inputs, removeInputs) = CommandRunner.scratch("hook-lacking-sae")
        defer { removeInputs() }
        var hookOrSAE: [String]
        switch sae {
        case "layer-40":
            // Gemma Scope reads the hook from the path: a 64-wide SAE at layer 40.
            let folder = inputs.appendingPathComponent("gemma-scope-2b-pt-res/layer_40/width_16k/average_l0_20")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Self.formats.appendingPathComponent("gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20/params.npz"),
                to: folder.appendingPathComponent("params.npz"))
            hookOrSAE = ["--sae", folder.path]
        case "resid-mid":
            // The legacy SAELens SAE (64 wide) with its hook moved to blocks.1.hook_resid_mid.
            let folder = inputs.appendingPathComponent("resid-mid")
            try FileManager.default.copyItem(at: Self.formats.appendingPathComponent("saelens-standard-cnr-legacy"), to: folder)
            let cfg = folder.appendingPathComponent("cfg.json")
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: cfg)) as! [String: Any]
            (config["hook_point"], config["hook_point_layer"]) = ("blocks.1.hook_resid_mid", 1)
            try JSONSerialization.data(withJSONObject: config).write(to: cfg)
            hookOrSAE = ["--sae", folder.path]
        default:
            hookOrSAE = sae.split(separator: " ").map(String.init)
        }
        let (root, cleanup) = CommandRunner.scratch("hook-lacking-out")
        defer { cleanup() }
        let result = try CommandRunner.run(
            [
                command, "--model", CommandRunner.fixtures.appendingPathComponent(model).path,
                "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
                "-o", root.appendingPathComponent("out").path,
            ] + hookOrSAE, expectStatus: 1)
        Self.expectOneLine(result, naming: "config.json", problem: problem)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    /// An SAE that records gemma-2-2b (the 64-wide legacy SAELens fixture, relabelled) run on the GPT-2 fixture:
    /// `analyze` and `activations --sae` refuse it in one line naming its cfg.json, the model it records and the model's
    /// model_type, exit status 1, nothing written; with --allow-other-model the analysis runs and warns.
    @Test func anSAEOfAnotherModelFamilyIsOneLineUnlessAllowed() throws {
        let (inputs, removeInputs) = CommandRunner.scratch("other-family-sae")
        defer { removeInputs() }
        let sae = inputs.appendingPathComponent("gemma-sae")
        try FileManager.default.copyItem(at: Self.formats.appendingPathComponent("saelens-standard-cnr-legacy"), to: sae)
        let cfg = sae.appendingPathComponent("cfg.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: cfg)) as! [String: Any]
        config["model_name"] = "gemma-2-2b"
        try JSONSerialization.data(withJSONObject: config).write(to: cfg)
        let problem = "the SAE was trained on gemma-2-2b (a gemma2 model) but the model's config.json has model_type \"gpt2\""

        let (root, cleanup) = CommandRunner.scratch("other-family-out")
        defer { cleanup() }
        let output = root.appendingPathComponent("out")
        for command in ["analyze", "activations"] {
            let result = try CommandRunner.run(
                [
                    command, "--model", CommandRunner.fixtures.appendingPathComponent("model/tiny-gpt2").path,
                    "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
                    "--sae", sae.path, "-o", output.path,
                ], expectStatus: 1)
            Self.expectOneLine(result, naming: "cfg.json", problem: problem)
            #expect(result.standardError.contains("tiny-gpt2/config.json"), "\(result.standardError)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
        }

        try CommandRunner.run([
            "analyze", "--model", CommandRunner.fixtures.appendingPathComponent("model/tiny-gpt2").path,
            "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
            "--sae", sae.path, "-o", output.path, "--allow-other-model",
            "--max-texts", "2", "--ctx", "32", "--ablation", "none", "--no-feature-map", "--threads", "1",
        ])
        let summaryName = try #require(try FileManager.default.contentsOfDirectory(atPath: output.path).first { $0.hasPrefix("SUMMARY_") })
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent(summaryName))) as! [String: Any]
        #expect((summary["warnings"] as? [String] ?? []).contains { $0.contains(problem) && $0.contains("--allow-other-model") })

        // Shards of such a run merge into the single run (merge checks that the shards agree, not the SAE's model).
        let (shardRoot, cleanupShards) = CommandRunner.scratch("other-family-shards")
        defer { cleanupShards() }
        let (single, _) = try CommandRunner.expectShardsMergeToTheSingleRun(in: shardRoot) { output, extra in
            [
                "analyze", "--model", CommandRunner.fixtures.appendingPathComponent("model/tiny-gpt2").path,
                "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
                "--sae", sae.path, "-o", output.path, "--allow-other-model", "--max-texts", "6", "--ctx", "32",
                "--batch-tokens", "64", "--ablation", "none", "--no-feature-map", "--threads", "1",
            ] + extra
        }
        let singleSummary = try #require(try FileManager.default.contentsOfDirectory(atPath: single.path).first { $0.hasPrefix("SUMMARY_") })
        let singleWarnings = try JSONSerialization.jsonObject(with: Data(contentsOf: single.appendingPathComponent(singleSummary))) as! [String: Any]
        #expect((singleWarnings["warnings"] as? [String] ?? []).contains { $0.contains("--allow-other-model") })
    }

    static func expectOneLine(_ result: CommandRunner.Result, naming file: String, problem: String) {
        let line = result.standardError
        #expect(line.hasPrefix("error: ") && line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"), "\(line)")
        #expect(line.split(separator: ":")[1].hasSuffix(file), "\(line) should name \(file)")
        #expect(line.contains(problem), "\(line)")
        #expect(result.standardOutput.isEmpty)
    }
}
