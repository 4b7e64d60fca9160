import Foundation
@testable import Formats
import Testing

/// `FileHashCache`: a remembered hash is reused only while `stat` describes the same file (same size, inode and
/// times), and a cache that cannot serve (a fresh or small file, a corrupt entry, an unwritable folder) still gives
/// the file's hash.
@Suite struct FileHashCacheTests {
    private static func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hashcache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private static func entries(_ cache: FileHashCache) -> [URL] {
        (try? FileManager.default.contentsOfDirectory(at: cache.directory!, includingPropertiesForKeys: nil)) ?? []
    }

    @Test func aRememberedHashServesOnlyTheSameFile() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A negative settling time treats the test's fresh files as settled.
        let cache = FileHashCache(directory: directory.appendingPathComponent("cache"), minimumBytes: 0, settledAfter: -60)
        let file = directory.appendingPathComponent("weights.bin")
        try Data(repeating: 7, count: 1000).write(to: file)
        #expect(try cache.sha256(of: file) == FileHash.sha256(of: file))
        let entry = try #require(Self.entries(cache).first)
        #expect(Self.entries(cache).count == 1)

        // The entry is what answers while the file is unchanged: a planted hash comes back.
        let planted = String(repeating: "ab", count: 32)
        let text = try String(contentsOf: entry, encoding: .utf8)
        try Data((text.split(separator: " ").dropLast().joined(separator: " ") + " \(planted)\n").utf8).write(to: entry)
        #expect(try cache.sha256(of: file) == planted)

        // New bytes of another size, then a file of the same size renamed over it (a new inode): both rehashed.
        try Data(repeating: 8, count: 1001).write(to: file)
        #expect(try cache.sha256(of: file) == FileHash.sha256(of: file))
        let replacement = directory.appendingPathComponent("replacement")
        try Data(repeating: 9, count: 1001).write(to: replacement)
        #expect(rename(replacement.path, file.path) == 0)
        #expect(try cache.sha256(of: file) == FileHash.sha256(of: Data(repeating: 9, count: 1001)))

        // A corrupt entry is recomputed (and rewritten).
        try Data("v1 garbage\n".utf8).write(to: entry)
        #expect(try cache.sha256(of: file) == FileHash.sha256(of: file))
        #expect(try String(contentsOf: entry, encoding: .utf8).hasSuffix(FileHash.sha256(of: file) + "\n"))
    }

    @Test func freshSmallOrUncacheableFilesAreHashedEachTime() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("corpus.json")
        try Data("[\"a text\"]".utf8).write(to: file)
        let expected = try FileHash.sha256(of: file)

        let fresh = FileHashCache(directory: directory.appendingPathComponent("fresh"), minimumBytes: 0, settledAfter: 3600)
        #expect(try fresh.sha256(of: file) == expected)
        #expect(Self.entries(fresh).isEmpty)

        let small = FileHashCache(directory: directory.appendingPathComponent("small"), minimumBytes: 1 << 20, settledAfter: -60)
        #expect(try small.sha256(of: file) == expected)
        #expect(Self.entries(small).isEmpty)

        // The cache folder would have to be made inside a regular file.
        let unwritable = FileHashCache(directory: file.appendingPathComponent("cache"), minimumBytes: 0, settledAfter: -60)
        #expect(try unwritable.sha256(of: file) == expected)
        #expect(try FileHashCache(directory: nil).sha256(of: file) == expected)
        #expect(throws: InputError.self) { try fresh.sha256(of: directory.appendingPathComponent("missing")) }
    }
}
