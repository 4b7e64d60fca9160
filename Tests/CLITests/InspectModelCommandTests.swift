import Foundation
import Testing

/// `sae-report inspect-model DIR`: the family, the spec read from config.json and the hook names; an unsupported
/// model_type is one error line that names it and the supported families.
@Suite struct InspectModelCommandTests {
    @Test func printsTheFamilySpecAndHooks() throws {
        let gemma = try CommandRunner.run(["inspect-model", CommandRunner.fixtures.appendingPathComponent("model/tiny-gemma2").path])
        for expected in [
            "family: gemma2", "sliding window 8 on layers 0,2", "logit soft-cap 5.0", "block: sandwich",
            "hooks: hook_embed; blocks.L.{hook_resid_pre, attn.hook_z, hook_attn_out, hook_resid_mid, "
                + "ln2.hook_normalized, hook_mlp_out, hook_resid_post} for L in 0...2",
        ] {
            #expect(gemma.standardOutput.contains(expected), "\(expected) in \(gemma.standardOutput)")
        }
        let pythia = try CommandRunner.run(["inspect-model", CommandRunner.fixtures.appendingPathComponent("model/tiny-pythia").path])
        #expect(pythia.standardOutput.contains("block: parallel") && !pythia.standardOutput.contains("hook_resid_mid"))
    }

    @Test func anUnsupportedModelTypeIsOneLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("inspect-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"model_type": "bloom"}"#.utf8).write(to: directory.appendingPathComponent("config.json"))
        let result = try CommandRunner.run(["inspect-model", directory.path], expectStatus: 1)
        let lines = result.standardError.split(separator: "\n")
        #expect(lines.count == 1 && result.standardOutput.isEmpty)
        #expect(result.standardError.contains("unsupported model_type \"bloom\"; supported: gpt2, gpt_neox, gemma2, gemma3_text, llama, mistral, qwen2, qwen3"))
    }
}
