@testable import Analyze
@testable import Formats
import Foundation
import Testing

@Suite struct RunArchiveTests {
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("archive-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    /// A small analysis-like directory: nested folders, a binary file, a path longer than ustar's 100-byte name.
    func makeRun() throws -> URL {
        let run = scratch.appendingPathComponent("my.analysis")
        let deep = run.appendingPathComponent(String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60))
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        try Data(#"{"model_name": "tiny", "layer": 2}"#.utf8).write(to: run.appendingPathComponent("config_20250101_000000.json"))
        try Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: run.appendingPathComponent("blob.bin"))
        try Data("hello".utf8).write(to: deep.appendingPathComponent(String(repeating: "f", count: 40) + ".txt"))
        try Data().write(to: run.appendingPathComponent("empty.txt"))
        return run
    }

    @Test func roundTripVerifiesAndExtracts() throws {
        let run = try makeRun()
        let archive = scratch.appendingPathComponent("run.tar.gz")
        let created = try RunArchive.create(directory: run, output: archive)
        #expect(created.files.count == 4)
        let report = try RunArchive.verify(archive: archive)
        #expect(report.isIntact, "\(report.problems)")
        #expect(report.files == created.files)

        let out = scratch.appendingPathComponent("extracted")
        #expect(try RunArchive.extract(archive: archive, to: out).isIntact)
        for entry in created.files {
            let original = try Data(contentsOf: run.appendingPathComponent(entry.path))
            #expect(try Data(contentsOf: out.appendingPathComponent(entry.path)) == original)
        }
    }

    @Test func systemTarReadsOurArchive() throws {
        let archive = scratch.appendingPathComponent("run.tar.gz")
        try RunArchive.create(directory: try makeRun(), output: archive)
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "-tzf", archive.path]
        let pipe = Pipe()
        tar.standardOutput = pipe
        try tar.run()
        let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tar.waitUntilExit()
        #expect(tar.terminationStatus == 0)
        #expect(listing.contains("my.analysis/MANIFEST.json"))
        #expect(listing.contains(String(repeating: "f", count: 40) + ".txt"))
    }

    @Test func tamperedFileIsReported() throws {
        let run = try makeRun()
        let archive = scratch.appendingPathComponent("run.tar.gz")
        try RunArchive.create(directory: run, output: archive)
        // Rewrite the archive with one byte of blob.bin changed: unpack with our reader, flip, repack by hand.
        var tar = try Gzip_decompressForTests(archive)
        let marker = Data("blob.bin".utf8)
        let headerStart = tar.range(of: marker)!.lowerBound
        tar[headerStart + Tar.blockSize + 10] ^= 0xff
        try Gzip_compressForTests(tar, to: archive)
        let report = try RunArchive.verify(archive: archive)
        #expect(!report.isIntact)
        #expect(report.problems.contains { $0.contains("blob.bin") && $0.contains("modified") })
    }

    @Test func truncatedArchiveIsAnError() throws {
        let archive = scratch.appendingPathComponent("run.tar.gz")
        try RunArchive.create(directory: try makeRun(), output: archive)
        let data = try Data(contentsOf: archive)
        try data.prefix(data.count / 2).write(to: archive)
        #expect(throws: InputError.self) { try RunArchive.verify(archive: archive) }
    }

    @Test func pathTraversalIsRefused() throws {
        for evil in ["root/../../escape.txt", "/etc/evil"] {
            var tar = Data(try Tar.encode(Tar.Header(path: evil, size: 3, kind: .file)))
            tar.append(Data("bad".utf8)); tar.append(Data(count: Tar.padding(for: 3) + 1024))
            let archive = scratch.appendingPathComponent("evil.tar.gz")
            try Gzip_compressForTests(tar, to: archive)
            let out = scratch.appendingPathComponent("out-\(UUID().uuidString)")
            #expect(throws: InputError.self) { try RunArchive.extract(archive: archive, to: out) }
            #expect(!FileManager.default.fileExists(atPath: out.path))
            #expect(!FileManager.default.fileExists(atPath: scratch.deletingLastPathComponent().appendingPathComponent("escape.txt").path))
        }
    }

    @Test func manifestComparisonFindsAddedAndMissing() {
        let a = RunArchive.FileEntry(path: "a", size: 1, sha256: "x")
        let b = RunArchive.FileEntry(path: "b", size: 1, sha256: "y")
        let problems = RunArchive.compare(listed: [a], seen: [b])
        #expect(problems.count == 2)
    }

    @Test func longPathsSurviveTheHeader() throws {
        let path = "root/" + String(repeating: "a", count: 120) + "/" + String(repeating: "b", count: 90)
        let block = try Tar.encode(Tar.Header(path: path, size: 12_345_678_901, kind: .file))
        let decoded = try block.withUnsafeBytes { try Tar.decode($0, path: "t") }
        #expect(decoded?.path == path)
        #expect(decoded?.size == 12_345_678_901)
    }
}

// Whole-buffer gzip helpers for building hostile archives in tests.
func Gzip_decompressForTests(_ url: URL) throws -> Data {
    let reader = try GzipReader(path: url.path)
    var out = Data()
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Tar.blockSize, alignment: 8)
    defer { buffer.deallocate() }
    while (try? reader.readFully(into: buffer)) == true { out.append(contentsOf: buffer) }
    return out
}

func Gzip_compressForTests(_ data: Data, to url: URL) throws {
    let writer = try GzipWriter(path: url.path)
    try writer.write(data)
    try writer.close()
}
