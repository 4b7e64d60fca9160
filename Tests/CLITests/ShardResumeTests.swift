import Foundation
import Testing

/// `analyze --shard i/n` + `merge`, and `--resume` after Ctrl-C, must give the analysis of one uninterrupted run:
/// every database row, count, heap and derived file bit for bit, float metrics bit for bit after a resume and up
/// to the order of summation after a merge. Each run is its own process, as for users (runs inside one process
/// that share OpenBLAS's process-wide thread count with concurrent tests are not bit-reproducible).
@Suite struct ShardResumeTests {
    /// The tiny Qwen3 of `Tests/Fixtures/pipeline` with the BatchTopK seed SAE in threshold mode (calibrated on a
    /// 200-token sample, which every shard must share), zero and mean ablation on a sample of batches.
    static func analyze(_ output: URL, batchTokens: Int = 64, _ extra: [String] = []) -> [String] {
        [
            "analyze", "--model", CommandRunner.fixtures.appendingPathComponent("pipeline/model").path,
            "--sae", CommandRunner.fixtures.appendingPathComponent("sae/seed-sae-btopk8-l2").path,
            "--data", CommandRunner.fixtures.appendingPathComponent("pipeline/corpus.json").path,
            "--ctx", "24", "--batch-tokens", "\(batchTokens)", "--topk-mode", "threshold", "--calibration-tokens", "200",
            "--ablation", "both", "--ablation-tokens", "300", "--top-examples", "5", "-o", output.path,
        ] + extra
    }

    @Test func mergedShardsEqualTheSingleRun() throws {
        let (root, cleanup) = CommandRunner.scratch("shards")
        defer { cleanup() }
        let (single, shards) = try CommandRunner.expectShardsMergeToTheSingleRun(in: root, reversedMerge: true) {
            Self.analyze($0, $1)
        }

        // A missing shard or a directory that is not one: one error line naming it, exit 1, no output.
        let refused = root.appendingPathComponent("refused")
        let missing = try CommandRunner.run(["merge", shards[0].path, shards[2].path, "-o", refused.path], expectStatus: 1)
        #expect(missing.standardError == "error: \(shards[0].path): shards 2/3 are missing\n")
        let notShard = try CommandRunner.run(["merge", single.path, "-o", refused.path], expectStatus: 1)
        #expect(notShard.standardError.hasPrefix("error: \(single.path): not a shard directory"))
        #expect(!FileManager.default.fileExists(atPath: refused.path))
        try CommandRunner.run(Self.analyze(refused, ["--shard", "4/3"]), expectStatus: 1)

        // Inputs that moved are found through --model/--sae/--data and checked against the shards' hashes.
        let movedModel = root.appendingPathComponent("moved-model")
        try FileManager.default.copyItem(at: CommandRunner.fixtures.appendingPathComponent("pipeline/model"), to: movedModel)
        let moved = try CommandRunner.run(
            ["merge"] + shards.map(\.path) + [
                "--model", movedModel.path, "-o",
                root.appendingPathComponent("moved").path,
            ])
        #expect(moved.standardError.contains("merged 3 shards"))
        let otherCorpus = root.appendingPathComponent("other.json")
        try Data(#"["another corpus"]"#.utf8).write(to: otherCorpus)
        let changed = try CommandRunner.run(
            ["merge"] + shards.map(\.path) + ["--data", otherCorpus.path, "-o", refused.path],
            expectStatus: 1)
        #expect(changed.standardError.hasPrefix("error: \(shards[0].path): the inputs differ"))
        #expect(changed.standardError.contains("(SHA-256 of corpus)"))
        #expect(!FileManager.default.fileExists(atPath: refused.path))
    }

    @Test func interruptedRunResumesToTheSameAnalysis() throws {
        let (root, cleanup) = CommandRunner.scratch("resume")
        defer { cleanup() }
        // Batches of 8 tokens (87 of them) and a checkpoint after every batch, so the signal lands mid-pass.
        let single = root.appendingPathComponent("single")
        try CommandRunner.run(Self.analyze(single, batchTokens: 8))
        let output = root.appendingPathComponent("resumed")
        let arguments = Self.analyze(output, batchTokens: 8, ["--checkpoint-interval", "0.001"])
        let checkpoint = root.appendingPathComponent(".resumed.partial/.checkpoint/checkpoint.json")
        try CommandRunner.interrupt(arguments, once: checkpoint)
        #expect(!FileManager.default.fileExists(atPath: output.path))

        // Without --resume the checkpoint is protected; with other settings it is refused.
        let protected = try CommandRunner.run(arguments, expectStatus: 1)
        #expect(protected.standardError.contains("rerun with --resume"))
        try CommandRunner.run(Self.analyze(output, batchTokens: 8, ["--resume", "--ablation-tokens", "100"]), expectStatus: 1)

        let resumed = try CommandRunner.run(arguments + ["--resume"])
        #expect(resumed.standardError.contains("resumed after"))
        #expect(!FileManager.default.fileExists(atPath: checkpoint.deletingLastPathComponent().deletingLastPathComponent().path))
        try AnalysisComparison(single, output, relativeTolerance: 0).expectEqual()
    }
}

/// Two analysis directories compared file by file, ignoring what legitimately differs between runs (timestamps,
/// timings, provenance).
struct AnalysisComparison {
    let a: URL, b: URL
    let relativeTolerance: Double
    static let ignoredKeys: Set<String> = [
        "timestamp", "timings_s", "tokens_per_second", "resumed_after_tokens",
        "merged_shards", "shard", "files",
    ]

    init(_ a: URL, _ b: URL, relativeTolerance: Double) {
        (self.a, self.b, self.relativeTolerance) = (a, b, relativeTolerance)
    }

    func file(_ directory: URL, _ subdirectory: String, prefix: String) throws -> URL {
        let folder = directory.appendingPathComponent(subdirectory)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(prefix) }
        try #require(names.count == 1, "\(folder.path): \(names)")
        return folder.appendingPathComponent(names[0])
    }

    func expectEqual() throws {
        for (subdirectory, prefix) in [("results", "analysis_results_"), ("results", "feature_table_"), ("results", "clusters_")] {
            let x = try JSONSerialization.jsonObject(with: Data(contentsOf: file(a, subdirectory, prefix: prefix)))
            let y = try JSONSerialization.jsonObject(with: Data(contentsOf: file(b, subdirectory, prefix: prefix)))
            compare(x, y, path: prefix)
        }
        let summariesA = try String(contentsOf: file(a, "results", prefix: "feature_summaries_"), encoding: .utf8)
        let summariesB = try String(contentsOf: file(b, "results", prefix: "feature_summaries_"), encoding: .utf8)
        #expect(summariesA == summariesB, "feature summaries differ")
        for (subdirectory, prefix) in [
            ("activation_database", "activation_db_"), ("activation_database", "tokens_"),
            ("matrices", "feature_similarity_"), ("matrices", "feature_cooccurrence_"),
        ] {
            let x = try Data(contentsOf: file(a, subdirectory, prefix: prefix))
            let y = try Data(contentsOf: file(b, subdirectory, prefix: prefix))
            #expect(x == y, "\(prefix) differs")
        }
    }

    private func compare(_ x: Any, _ y: Any, path: String) {
        switch (x, y) {
        case let (x as [String: Any], y as [String: Any]):
            #expect(Set(x.keys).subtracting(Self.ignoredKeys) == Set(y.keys).subtracting(Self.ignoredKeys), "\(path): keys differ")
            for (key, value) in x where !Self.ignoredKeys.contains(key) {
                if let other = y[key] { compare(value, other, path: "\(path).\(key)") }
            }
        case let (x as [Any], y as [Any]):
            #expect(x.count == y.count, "\(path): lengths differ")
            for (index, (u, v)) in zip(x, y).enumerated() { compare(u, v, path: "\(path)[\(index)]") }
        case let (x as NSNumber, y as NSNumber):
            let u = x.doubleValue, v = y.doubleValue
            #expect(u == v || abs(u - v) <= relativeTolerance * max(abs(u), abs(v)), "\(path): \(u) vs \(v)")
        case let (x as String, y as String):
            if !x.contains("_20") { #expect(x == y, "\(path): \(x) vs \(y)") }  // file names carry the timestamp
        default:
            #expect(x is NSNull && y is NSNull, "\(path): \(x) vs \(y)")
        }
    }
}
