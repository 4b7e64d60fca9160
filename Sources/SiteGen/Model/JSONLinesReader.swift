import Formats
import Foundation

/// Reads a `.jsonl` file one line at a time in fixed-size chunks, so a multi-gigabyte summaries file never
/// sits in memory whole.
final class JSONLinesReader {
    let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    /// Start of the unread part of `buffer`.
    private var position = 0
    private var atEnd = false
    /// The 1-based number of the line `next()` returned last.
    private(set) var lineNumber = 0

    init(url: URL) throws {
        self.url = url
        guard let handle = try? FileHandle(forReadingFrom: url) else { throw InputError("cannot read file", url: url) }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// The next non-blank line (without its line ending), or nil at the end of the file.
    func next() throws -> Data? {
        while true {
            let end = buffer.withUnsafeBufferPointer { bytes -> Int? in
                guard position < bytes.count, let base = bytes.baseAddress,
                    let found = memchr(base + position, 0x0A, bytes.count - position)
                else { return nil }
                return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            }
            if end != nil || (atEnd && position < buffer.count) {
                let lineEnd = end ?? buffer.count
                var last = lineEnd
                if last > position && buffer[last - 1] == 0x0D { last -= 1 }
                let start = position
                position = end.map { $0 + 1 } ?? buffer.count
                lineNumber += 1
                if buffer[start..<last].allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                return Data(buffer[start..<last])
            }
            if atEnd { return nil }
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw InputError("cannot read file", url: url)
            }
            if chunk.isEmpty {
                atEnd = true
            } else {
                buffer.removeSubrange(0..<position)
                position = 0
                buffer.append(contentsOf: chunk)
            }
        }
    }

    /// Up to `count` next lines, each with its line number.
    func next(_ count: Int) throws -> [(line: Int, data: Data)] {
        var lines: [(line: Int, data: Data)] = []
        while lines.count < count, let data = try next() { lines.append((lineNumber, data)) }
        return lines
    }
}
