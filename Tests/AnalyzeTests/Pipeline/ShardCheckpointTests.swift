@testable import Analyze
@testable import Formats
import Foundation
import Testing

/// The logic of shards and checkpoints inside one process (bit-for-bit equality with a single run is checked by
/// `CLITests.ShardResumeTests`, one process per run).
@Suite struct ShardCheckpointTests {
    typealias Fixture = AnalysisPipelineTests

    static func options(output: URL) -> AnalysisOptions {
        var options = Fixture.options(sae: "seed-sae-btopk8-l2", output: output)
        options.pass.topKMode = .threshold
        options.pass.calibrationTokens = 200
        options.pass.ablationTokens = 300
        return options
    }

    static func tokenTable(_ directory: URL) throws -> Data {
        let folder = directory.appendingPathComponent("activation_database")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.path).first { $0.hasPrefix("tokens_") })
        return try Data(contentsOf: folder.appendingPathComponent(name))
    }

    /// Another version's checkpoint (here format 1, whose options were one flat object) is refused with a line that
    /// says so, not a decoding error.
    @Test func checkpointOfAnotherFormatIsRefusedClearly() throws {
        let (root, cleanup) = Fixture.outputDirectory("old-format")
        defer { cleanup() }
        let directory = root.appendingPathComponent("scratch")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(#"{"format": 1, "options": {"model": "m", "ctx": 1024}}"#.utf8)
            .write(to: directory.appendingPathComponent(PassCheckpoint.fileName))
        let error = #expect(throws: InputError.self) { _ = try PassCheckpoint.read(in: directory) }
        #expect(error?.description.contains("checkpoint format 1 is not the supported format \(PassCheckpoint.formatVersion)") == true)
    }

    @Test func stoppedRunResumesFromItsCheckpoint() throws {
        let (root, cleanup) = Fixture.outputDirectory("resume")
        defer { cleanup() }
        let single = root.appendingPathComponent("single")
        let whole = try AnalysisPipeline(options: Self.options(output: single)).run()
        let output = root.appendingPathComponent("resumed")
        var options = Self.options(output: output)
        options.control.checkpointInterval = 1e9  // only the stop request checkpoints

        // Stop after the fourth batch, as SIGINT does.
        var pipeline: AnalysisPipeline?
        var batches = 0
        pipeline = AnalysisPipeline(options: options) { progress in
            guard progress.stage.hasPrefix("activations") else { return }
            batches += 1
            if batches == 4 { pipeline?.requestStop() }
        }
        #expect(throws: AnalysisInterrupted.self) { _ = try pipeline!.run() }
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let staging = StagedAnalysisDirectory.stagingURL(for: output)
        let scratch = staging.appendingPathComponent(StagedAnalysisDirectory.scratchName)
        let checkpoint = try #require(try PassCheckpoint.read(in: scratch))
        #expect(checkpoint.nextBatch == 4 && checkpoint.state.rows > 0 && checkpoint.state.rows < whole.tokenCount)

        // A crash after the checkpoint leaves column data past it: the resume must cut it off.
        let columns = scratch.appendingPathComponent(PassCheckpoint.columnsDirectory)
        for name in try FileManager.default.contentsOfDirectory(atPath: columns.path) {
            let handle = try FileHandle(forWritingTo: columns.appendingPathComponent(name))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(repeating: 0x7F, count: 24))
            try handle.close()
        }

        // Without `resume` the checkpoint is protected; with other settings it is refused.
        let unasked = #expect(throws: InputError.self) { _ = try AnalysisPipeline(options: options).run() }
        #expect(unasked?.description.contains("--resume") == true)
        options.control.resume = true
        var other = options
        other.pass.ablationTokens = 100
        let mismatch = #expect(throws: InputError.self) { _ = try AnalysisPipeline(options: other).run() }
        #expect(mismatch?.description.contains("other inputs or settings") == true)

        let outcome = try AnalysisPipeline(options: options).run()
        #expect(outcome.resumedTokens == checkpoint.state.rows)
        #expect(outcome.tokenCount == whole.tokenCount)
        #expect(!FileManager.default.fileExists(atPath: staging.path))
        #expect(try Self.tokenTable(output) == Self.tokenTable(single))
        #expect(outcome.results.run.provenance == [.resumedAfterTokens(checkpoint.state.rows)])
    }

    @Test func mergeRefusesIncompleteOrMismatchedShards() throws {
        let (root, cleanup) = Fixture.outputDirectory("bad-shards")
        defer { cleanup() }
        func shard(_ index: Int, of count: Int, ablationTokens: Int = 300) throws -> URL {
            var options = Self.options(output: root.appendingPathComponent("s\(index)of\(count)-\(ablationTokens)"))
            options.control.shard = try ShardSpec(index: index, count: count)
            options.pass.ablationTokens = ablationTokens
            return try AnalysisPipeline(options: options).run().directory!
        }
        let one = try shard(1, of: 2), two = try shard(2, of: 2)
        let output = root.appendingPathComponent("merged")
        func expectRefusal(_ shards: [URL], mentioning part: String) {
            let error = #expect(throws: InputError.self) { _ = try AnalysisMerge(shards: shards, output: output).run() }
            #expect(error?.description.contains(part) == true, "\(error?.description ?? "")")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
        expectRefusal([one], mentioning: "2/2 are missing")
        expectRefusal([one, one], mentioning: "given twice")
        expectRefusal([one, try shard(2, of: 2, ablationTokens: 100)], mentioning: "other inputs or settings")
        expectRefusal([one, try shard(2, of: 3)], mentioning: "split into")
        expectRefusal([one, root], mentioning: "not a shard directory")
        let outcome = try AnalysisMerge(shards: [two, one], output: output).run()
        #expect(outcome.results.run.provenance == [.mergedShards(2)])
        #expect(FileManager.default.fileExists(atPath: output.path))
    }

    @Test func shardsPartitionTheBatches() throws {
        let counts = [64, 64, 10, 64, 64, 64, 3, 64, 64, 64, 12]
        for n in 1...counts.count {
            let ranges = try (1...n).map { try ShardSpec(index: $0, count: n).batches(tokenCounts: counts) }
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == counts.count)
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        }
        let halves = try (1...2).map { try ShardSpec(index: $0, count: 2).batches(tokenCounts: [10, 10, 10, 10]) }
        #expect(halves == [0..<2, 2..<4])
        #expect(throws: InputError.self) { try ShardSpec(parsing: "0/4") }
        #expect(throws: InputError.self) { try ShardSpec(parsing: "5/4") }
        #expect(throws: InputError.self) { try ShardSpec(parsing: "2-4") }
        #expect(try ShardSpec(parsing: "3/8") == ShardSpec(index: 3, count: 8))
    }
}
