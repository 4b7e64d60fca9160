import Analyze
import ArgumentParser
import Foundation

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Pack an analysis (and its site) into one .tar.gz with a sha256 manifest.",
        discussion: """
            Every file under DIRECTORY goes into FILE.tar.gz under the directory's name, followed by MANIFEST.json \
            (path, size and sha256 of each file, tool version, the run's configuration). Check a copy with \
            `sae-report verify FILE.tar.gz`.
            """)
    @Argument(help: "Directory to archive (an analysis directory, a site, or a `run` output holding both).")
    var directory: String
    @Option(name: .shortAndLong, help: "Output .tar.gz file.") var output: String

    func run() throws {
        try reportingInputErrors {
            let report = try RunArchive.create(directory: URL(fileURLWithPath: directory), output: URL(fileURLWithPath: output))
            let bytes = report.files.reduce(0) { $0 + $1.size }
            print("archived \(report.files.count) files (\(ByteCountFormatter.string(fromByteCount: Int64(bytes), countStyle: .file))) into \(output)")
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every file of an archive against its manifest (and optionally extract it).",
        discussion: "Exit status 0 when intact, 1 when any file is missing, added, modified or the archive is truncated.")
    @Argument(help: "Archive file (.tar.gz) written by `sae-report archive`.") var archive: String
    @Option(help: "Also extract into this new directory (only if the archive is intact; absolute and `..` paths are refused).")
    var extract: String?

    func run() throws {
        try reportingInputErrors {
            let url = URL(fileURLWithPath: archive)
            let report =
                try extract.map { try RunArchive.extract(archive: url, to: URL(fileURLWithPath: $0)) }
                ?? RunArchive.verify(archive: url)
            guard report.isIntact else {
                for problem in report.problems { printError("\(archive): \(problem)") }
                printError("error: \(archive): \(report.problems.count) problem(s); the archive does not match its manifest")
                throw ExitCode.badInput
            }
            print("ok: \(report.files.count) files match the manifest" + (extract.map { "; extracted into \($0)" } ?? ""))
        }
    }
}
