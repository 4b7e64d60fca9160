import Crypto
import Foundation

/// SHA-256 of files and byte buffers, as lowercase hex.
public enum FileHash {
    /// Hashes the file through a read-only mapping, 64 MiB at a time (each piece mapped in one call, and let go once
    /// hashed): no copy out of the page cache, which reading into a buffer cost a third of the time of a 1.2 GB
    /// checkpoint's hash.
    public static func sha256(of url: URL) throws -> String {
        let file: MappedFile<UInt8>
        do { file = try MappedFile(url: url) } catch { throw InputError("cannot open file for hashing", url: url) }
        var hasher = SHA256()
        let bytes = file.bytes, piece = 64 << 20
        for start in stride(from: 0, to: bytes.count, by: piece) {
            let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + piece, bytes.count)])
            MemoryAdvice.prefault(chunk.baseAddress!, byteCount: chunk.count)
            hasher.update(bufferPointer: chunk)
            MemoryAdvice.release(chunk.baseAddress!, byteCount: chunk.count)
        }
        return hex(hasher.finalize())
    }

    public static func sha256(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
