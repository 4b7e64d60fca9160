import CGzip
import Formats
import Foundation

/// Streaming gzip output over zlib's gzFile: bytes in, compressed file out.
final class GzipWriter {
    private let file: gzFile
    private let path: String

    init(path: String, level: Int32 = 6) throws {
        guard let file = gzopen(path, "wb\(level)") else { throw InputError("cannot create file", path: path) }
        self.file = file
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            let written = gzwrite(file, bytes.baseAddress! + offset, UInt32(n))
            guard written > 0 else { throw InputError("write failed (disk full?)", path: path) }
            offset += Int(written)
        }
    }

    func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    func close() throws {
        guard gzclose(file) == Z_OK else { throw InputError("write failed while closing", path: path) }
    }
}

/// Streaming gzip input: reads exactly the bytes asked for, or reports truncation/corruption.
final class GzipReader {
    private let file: gzFile
    let path: String

    init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path), let file = gzopen(path, "rb") else {
            throw InputError("no such file", path: path)
        }
        self.file = file
        self.path = path
    }

    deinit { gzclose(file) }

    /// Fills `buffer` completely; returns false at a clean end of stream before any byte was read.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var offset = 0
        while offset < buffer.count {
            let n = gzread(file, buffer.baseAddress! + offset, UInt32(min(buffer.count - offset, 1 << 30)))
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw InputError("corrupt gzip stream (\(message))", path: path)
            }
            if n == 0 {
                if offset == 0 { return false }
                throw InputError("archive is truncated", path: path)
            }
            offset += Int(n)
        }
        return true
    }
}
