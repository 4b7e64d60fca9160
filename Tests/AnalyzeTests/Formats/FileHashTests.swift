import Foundation
@testable import Formats
import Testing

/// SHA-256 of files (read through a mapping, 64 MiB at a time) against the published test vectors and the one-shot
/// hash of the same bytes, across the pieces' boundaries.
@Suite struct FileHashTests {
    @Test func filesHashAsTheirBytes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("filehash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func hash(_ bytes: Data) throws -> String {
            let url = directory.appendingPathComponent("file")
            try bytes.write(to: url)
            return try FileHash.sha256(of: url)
        }
        #expect(try hash(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try hash(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var large = Data(repeating: 0x5A, count: (64 << 20) + 12_345)
        for offset in [0, (64 << 20) - 1, 64 << 20, large.count - 1] { large[offset] = UInt8(offset & 0xFF) ^ 0xA5 }
        #expect(try hash(large) == FileHash.sha256(of: large))
        #expect(throws: InputError.self) { try FileHash.sha256(of: directory.appendingPathComponent("missing")) }
    }
}
