import Foundation
import Testing

/// Runs the `sae-report` binary that `swift test` built next to the test bundle.
struct CommandRunner {
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["SAE_REPORT_BINARY"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent == "MacOS" {  // an .xctest bundle on macOS
            directory = directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        return directory.appendingPathComponent("sae-report")
    }()

    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Result {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Starts `sae-report arguments`; `wait` it or signal it.
    final class Running {
        let process = Process()
        private let output = Pipe(), error = Pipe()
        private var outputData = Data(), errorData = Data()
        private let group = DispatchGroup()

        init(_ arguments: [String]) throws {
            process.executableURL = CommandRunner.binary
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = error
            try process.run()
            for (pipe, keyPath) in [(output, \Running.outputData), (error, \Running.errorData)] {
                group.enter()
                DispatchQueue.global().async { [self] in
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    self[keyPath: keyPath] = data
                    group.leave()
                }
            }
        }

        func signal(_ number: Int32) { kill(process.processIdentifier, number) }

        func wait() -> Result {
            process.waitUntilExit()
            group.wait()
            return Result(
                status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
                standardError: String(decoding: errorData, as: UTF8.self))
        }
    }

    @discardableResult
    static func run(
        _ arguments: [String], expectStatus status: Int32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        let result = try Running(arguments).wait()
        #expect(
            result.status == status, "sae-report \(arguments.joined(separator: " ")): \(result.standardError)",
            sourceLocation: sourceLocation)
        return result
    }

    /// Starts `sae-report arguments`, sends it SIGINT (Ctrl-C) once `path` exists (a file the run writes mid-pass,
    /// e.g. its staging directory or checkpoint; after `timeout` seconds regardless), and expects what an interrupted
    /// run ends with: exit status 130 and the hint to rerun with `--resume`.
    @discardableResult
    static func interrupt(
        _ arguments: [String], once path: URL, timeout: TimeInterval = 120,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        let running = try Running(arguments)
        let deadline = Date().addingTimeInterval(timeout)
        while !FileManager.default.fileExists(atPath: path.path) && Date() < deadline { usleep(1_000) }
        running.signal(SIGINT)
        let result = running.wait()
        #expect(result.status == 130, "\(result.standardError)", sourceLocation: sourceLocation)
        #expect(
            result.standardError.contains("rerun the same command with --resume"), "\(result.standardError)",
            sourceLocation: sourceLocation)
        return result
    }

    /// Runs `analyze(directory, extraArguments)` once whole and as three shards (`--shard i/3`, each printing only its
    /// directory), merges the shards (listed in reverse when `reversedMerge`: the order must not matter) and expects
    /// the merge to equal the whole run. Returns the directories for further checks.
    @discardableResult
    static func expectShardsMergeToTheSingleRun(
        in root: URL, reversedMerge: Bool = false, _ analyze: (URL, [String]) -> [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (single: URL, shards: [URL]) {
        let single = root.appendingPathComponent("single")
        try run(analyze(single, []), sourceLocation: sourceLocation)
        let shards = (1...3).map { root.appendingPathComponent("shard\($0)") }
        for (index, shard) in shards.enumerated() {
            let result = try run(analyze(shard, ["--shard", "\(index + 1)/3"]), sourceLocation: sourceLocation)
            #expect(result.standardOutput == shard.path + "\n", sourceLocation: sourceLocation)
        }
        let merged = root.appendingPathComponent("merged")
        let order = reversedMerge ? shards.reversed() : shards
        let result = try run(["merge"] + order.map(\.path) + ["-o", merged.path], sourceLocation: sourceLocation)
        #expect(result.standardError.contains("merged 3 shards"), sourceLocation: sourceLocation)
        try AnalysisComparison(single, merged, relativeTolerance: 1e-12).expectEqual()
        return (single, shards)
    }

    /// A fresh scratch directory, removed by `cleanup`.
    static func scratch(_ name: String) -> (url: URL, cleanup: () -> Void) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return (url, { try? FileManager.default.removeItem(at: url) })
    }
}
