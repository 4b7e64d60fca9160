import Foundation
import Testing

/// `analyze`'s flags for special tokens, high norms and the SAE selection: parsed, recorded in the config, and bad
/// values refused with exit status 64 before any work.
@Suite struct AnalyzeFlagTests {
    static let fixtures = CommandRunner.fixtures

    func config(in output: URL) throws -> [String: Any] {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: output.path).first { $0.hasPrefix("config_") })
        return try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent(name))) as! [String: Any]
    }

    @Test func specialTokenFlagsAreRecorded() throws {
        let (scratch, cleanup) = CommandRunner.scratch("special-flags")
        defer { cleanup() }
        let special = Self.fixtures.appendingPathComponent("special")
        let output = scratch.appendingPathComponent("out")
        let result = try CommandRunner.run([
            "analyze", "--model", special.appendingPathComponent("model").path, "--sae",
            special.appendingPathComponent("sae").path, "--data", special.appendingPathComponent("corpus.json").path,
            "--keep-special-tokens", "--ignore-high-norm", "1.25", "--ablation", "none", "--threads", "1", "-o", output.path,
        ])
        #expect(result.status == 0)
        let config = try config(in: output)
        #expect(config["keep_special_tokens"] as? Bool == true)
        #expect(config["ignore_high_norm"] as? Double == 1.25)
        #expect(config["prepend_bos"] as? Bool == true)
        let summaryName = try #require(try FileManager.default.contentsOfDirectory(atPath: output.path).first { $0.hasPrefix("SUMMARY_") })
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent(summaryName))) as! [String: Any]
        let excluded = try #require(summary["excluded_positions"] as? [String: Any])
        #expect(excluded["n_special_token_positions"] as? Int == 0)
        #expect((excluded["n_high_norm_positions"] as? Int ?? 0) > 0)
        #expect((summary["warnings"] as? [String] ?? []).contains { $0.contains("--ignore-high-norm") })
    }

    @Test func hookpointSelectsASparsifyFolder() throws {
        let (scratch, cleanup) = CommandRunner.scratch("hookpoint")
        defer { cleanup() }
        let sparsify = Self.fixtures.appendingPathComponent("sae/formats/sae-tiny-sparsify").path
        let base = [
            "analyze", "--model", Self.fixtures.appendingPathComponent("pipeline/model").path, "--sae", sparsify,
            "--data", Self.fixtures.appendingPathComponent("pipeline/corpus.json").path, "--max-texts", "4",
            "--ablation", "none", "--threads", "1",
        ]
        let output = scratch.appendingPathComponent("out")
        let ambiguous = try CommandRunner.run(base + ["-o", output.path], expectStatus: 1)
        #expect(ambiguous.standardError.contains("layers.1") && ambiguous.standardError.contains("layers.2.mlp"))
        #expect(!FileManager.default.fileExists(atPath: output.path))
        try CommandRunner.run(base + ["--hookpoint", "layers.1", "-o", output.path])
        #expect(try config(in: output)["sae_hookpoint"] as? String == "layers.1")
    }

    @Test(arguments: [
        ["--ignore-high-norm", "0"], ["--ignore-high-norm", "0.5"], ["--ignore-high-norm", "nan"],
        ["--ignore-high-norm", "many"], ["--k", "0"], ["--site", "resid"], ["--hookpoint", ""],
    ])
    func badValuesExit64(flag: [String]) throws {
        let (scratch, cleanup) = CommandRunner.scratch("bad-flag")
        defer { cleanup() }
        let special = Self.fixtures.appendingPathComponent("special")
        let output = scratch.appendingPathComponent("out")
        let result = try CommandRunner.run(
            [
                "analyze", "--model", special.appendingPathComponent("model").path, "--sae",
                special.appendingPathComponent("sae").path, "--data", special.appendingPathComponent("corpus.json").path,
                "-o", output.path,
            ] + flag, expectStatus: 64)
        #expect(result.standardError.contains(flag[0]), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
