import Formats
import Foundation
import Testing

/// `activations` then `run --activations` / `analyze --activations` as users run them (docs/activations.md): the
/// site renders an analysis without an ablation study, and a bad folder is one error line naming the file, exit
/// status 1, and nothing written. (`AnalyzeTests.ActivationFolderTests` checks the numbers.)
@Suite struct ActivationFolderCommandTests {
    static let fixtures = CommandRunner.fixtures
    static let model = fixtures.appendingPathComponent("pipeline/model")
    static let corpus = fixtures.appendingPathComponent("pipeline/corpus.json")
    static let sae = fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2")

    static func dump(_ folder: URL, _ extra: [String] = []) throws {
        try CommandRunner.run(
            [
                "activations", "--model", model.path, "--data", corpus.path, "--hook", "blocks.2.hook_resid_post",
                "-o", folder.path, "--ctx", "24", "--batch-tokens", "64", "--threads", "2",
            ] + extra)
    }

    @Test func runOnAFolderRendersTheSiteWithoutAblation() throws {
        let (root, cleanup) = CommandRunner.scratch("byoa-run")
        defer { cleanup() }
        let folder = root.appendingPathComponent("acts")
        try Self.dump(folder)
        let output = root.appendingPathComponent("out")
        let result = try CommandRunner.run([
            "run", "--activations", folder.path, "--unembedding", Self.model.path, "--sae", Self.sae.path,
            "-o", output.path, "--batch-tokens", "64", "--top-examples", "5", "--threads", "2",
        ])
        let index = output.appendingPathComponent("site/index.html")
        #expect(result.standardOutput == index.path + "\n")
        let html = try String(contentsOf: index, encoding: .utf8)
        #expect(html.contains("<caption>ablation</caption><tr><th>not computed</th><td class=\"num\">the activations were read from acts/"))
        let features = try FileManager.default.contentsOfDirectory(atPath: output.appendingPathComponent("site/features").path)
        #expect(features.count > 10)
        let page = try String(contentsOf: output.appendingPathComponent("site/features/\(features.sorted()[0])"), encoding: .utf8)
        #expect(page.contains("romoted"))  // the logit effects panel, from --unembedding

        // --activations replaces --model and --data: a usage error.
        let both = try CommandRunner.run(
            [
                "analyze", "--activations", folder.path, "--model", Self.model.path, "--sae", Self.sae.path,
                "-o", root.appendingPathComponent("x").path,
            ], expectStatus: 64)
        #expect(both.standardError.hasPrefix("Error: --activations replaces --model and --data"))
    }

    /// `activations --sae`: the SAE's hook without `--hook`, and, for an SAE trained with `prepend_bos` (the GPT-2
    /// fixture of special/), a BOS at the start of every window of `--ctx` tokens, as `analyze --model` feeds it.
    @Test func aFolderForAnSAETakesItsHookAndBOS() throws {
        let special = Self.fixtures.appendingPathComponent("special")
        let (root, cleanup) = CommandRunner.scratch("byoa-sae")
        defer { cleanup() }
        let folder = root.appendingPathComponent("acts")
        try CommandRunner.run([
            "activations", "--model", special.appendingPathComponent("model").path, "--sae", special.appendingPathComponent("sae").path,
            "--data", special.appendingPathComponent("corpus.json").path, "-o", folder.path, "--ctx", "8", "--threads", "2",
        ])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("activations.json"))) as! [String: Any]
        #expect(manifest["hook_name"] as? String == "blocks.1.hook_resid_post" && manifest["context"] as? Int == 8)
        let table = try NPY.read(folder.appendingPathComponent("tokens.npy")).int64Values()
        let starts = stride(from: 0, to: table.count, by: 3).filter { table[$0 + 2] % 8 == 0 }
        #expect(starts.count > 20 && starts.allSatisfy { table[$0] == 320 }, "<|endoftext|> (320) starts every window")
    }

    @Test(arguments: ["nan", "width", "manifest", "table"])
    func badFolderIsOneLineAndWritesNothing(_ damage: String) throws {
        let (root, cleanup) = CommandRunner.scratch("byoa-bad-\(damage)")
        defer { cleanup() }
        let folder = root.appendingPathComponent("acts")
        try Self.dump(folder)
        let shard = folder.appendingPathComponent("activations-00000.npy")
        let named: URL
        switch damage {
        case "nan":
            var values = try NPY.read(shard).floatValues()
            values[100] = .nan
            try NPY.write(values, shape: [values.count / 64, 64], to: shard)
            named = shard
        case "width":
            try NPY.write([Float](repeating: 1, count: 696 * 32), shape: [696, 32], to: shard)
            named = shard
        case "manifest":
            named = folder.appendingPathComponent("activations.json")
            try Data("[1, 2]".utf8).write(to: named)
        default:
            named = folder.appendingPathComponent("tokens.npy")
            try NPY.write([Int32](repeating: 0, count: 30), shape: [10, 3], to: named)
        }
        let output = root.appendingPathComponent("out")
        let result = try CommandRunner.run(
            ["analyze", "--activations", folder.path, "--sae", Self.sae.path, "-o", output.path], expectStatus: 1)
        #expect(result.standardError.hasPrefix("error: \(named.path): "), "\(result.standardError)")
        #expect(result.standardError.filter { $0 == "\n" }.count == 1, "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["acts"])
    }
}
