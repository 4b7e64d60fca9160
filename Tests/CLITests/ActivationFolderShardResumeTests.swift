import Foundation
import Testing

/// `analyze --activations` with `--shard i/n` + `merge`, with `--resume` after Ctrl-C, and `quick --activations`, on
/// the committed transformers-written folder (`Tests/Fixtures/activations/transformers-bf16`: the tiny Qwen3's
/// layer-2 residual for the pipeline corpus, bf16) with the BatchTopK seed SAE in threshold mode and the logit
/// effects from `--unembedding`: each gives what one uninterrupted `analyze --activations` gives.
@Suite struct ActivationFolderShardResumeTests {
    static let folder = CommandRunner.fixtures.appendingPathComponent("activations/transformers-bf16")
    static let model = CommandRunner.fixtures.appendingPathComponent("pipeline/model")
    static let sae = CommandRunner.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2")

    static func inputs(batchTokens: Int) -> [String] {
        [
            "--activations", folder.path, "--unembedding", model.path, "--sae", sae.path,
            "--batch-tokens", "\(batchTokens)", "--topk-mode", "threshold", "--calibration-tokens", "200", "--threads", "2",
        ]
    }

    static func analyze(_ output: URL, batchTokens: Int = 64, _ extra: [String] = []) -> [String] {
        ["analyze"] + inputs(batchTokens: batchTokens) + ["--top-examples", "5", "-o", output.path] + extra
    }

    @Test func mergedShardsEqualTheSingleRun() throws {
        let (root, cleanup) = CommandRunner.scratch("byoa-shards")
        defer { cleanup() }
        try CommandRunner.expectShardsMergeToTheSingleRun(in: root) { Self.analyze($0, $1) }
        let results = try Self.results(in: root.appendingPathComponent("merged"))
        #expect(((results["ablation"] as? [String: Any])?["not_computed"] as? String)?.isEmpty == false)
    }

    /// Interrupted after its first batch (the signal is sent once the staging directory exists, and the pass checks
    /// for it after every batch), then resumed: bit for bit the uninterrupted run.
    @Test func interruptedRunResumesToTheSameAnalysis() throws {
        let (root, cleanup) = CommandRunner.scratch("byoa-resume")
        defer { cleanup() }
        // --batch-tokens 1: one text per batch (55 batches), a checkpoint after each.
        let single = root.appendingPathComponent("single")
        try CommandRunner.run(Self.analyze(single, batchTokens: 1))
        let output = root.appendingPathComponent("resumed")
        let arguments = Self.analyze(output, batchTokens: 1, ["--checkpoint-interval", "0.001"])
        let staging = root.appendingPathComponent(".resumed.partial")
        try CommandRunner.interrupt(arguments, once: staging)
        #expect(!FileManager.default.fileExists(atPath: output.path))

        let resumed = try CommandRunner.run(arguments + ["--resume"])
        #expect(resumed.standardError.contains("resumed after"))
        #expect(!FileManager.default.fileExists(atPath: staging.path))
        try AnalysisComparison(single, output, relativeTolerance: 0).expectEqual()
    }

    /// `quick` takes the same inputs: its headline numbers are those of `analyze --activations`, and the ablation is
    /// reported as not computed.
    @Test func quickOnAFolderGivesTheAnalysisNumbers() throws {
        let (root, cleanup) = CommandRunner.scratch("byoa-quick")
        defer { cleanup() }
        let single = root.appendingPathComponent("single")
        try CommandRunner.run(Self.analyze(single))
        let quick = try CommandRunner.run(["quick"] + Self.inputs(batchTokens: 64) + ["--json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(quick.standardOutput.utf8)) as? [String: Any])
        let analysis = try Self.results(in: single)
        for block in ["sparsity", "dead_features", "reconstruction", "ablation", "metrics"] {
            let x = try JSONSerialization.data(withJSONObject: try #require(document[block]), options: [.sortedKeys])
            let y = try JSONSerialization.data(withJSONObject: try #require(analysis[block]), options: [.sortedKeys])
            #expect(x == y, "\(block) differs: \(String(decoding: x, as: UTF8.self)) vs \(String(decoding: y, as: UTF8.self))")
        }
        let table = try CommandRunner.run(["quick"] + Self.inputs(batchTokens: 64))
        #expect(table.standardOutput.contains("warning: ablation study not computed: "), "\(table.standardOutput)")
    }

    static func results(in directory: URL) throws -> [String: Any] {
        let folder = directory.appendingPathComponent("results")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix("analysis_results_") })
        return try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name))) as! [String: Any]
    }
}
