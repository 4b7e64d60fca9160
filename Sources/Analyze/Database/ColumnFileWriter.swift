import Formats
import Foundation

/// Appends fixed-size values to a file through a bounded buffer, so a column of any length costs constant memory.
final class ColumnFileWriter<Element: BitwiseCopyable> {
    let url: URL
    private let handle: FileHandle
    private var buffer: [Element] = []
    private let capacity: Int
    /// The number of elements appended so far.
    private(set) var count = 0

    init(url: URL, bufferCapacity: Int = 1 << 16) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw InputError("cannot create file", url: url)
        }
        self.url = url
        self.handle = try FileHandle(forWritingTo: url)
        self.capacity = bufferCapacity
        buffer.reserveCapacity(bufferCapacity)
    }

    /// Reopens a column file for appending after its first `keeping` elements (anything after them, such as a
    /// batch written after the last checkpoint, is cut off).
    init(appendingTo url: URL, keeping count: Int, bufferCapacity: Int = 1 << 16) throws {
        do {
            handle = try FileHandle(forWritingTo: url)
            let size = Int(try handle.seekToEnd())
            guard size >= count * MemoryLayout<Element>.stride else {
                throw InputError("column file holds \(size) bytes, fewer than the \(count) values the checkpoint recorded", url: url)
            }
            try handle.truncate(atOffset: UInt64(count * MemoryLayout<Element>.stride))
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError("cannot reopen column file (\(error.localizedDescription))", url: url)
        }
        self.url = url
        self.count = count
        self.capacity = bufferCapacity
        buffer.reserveCapacity(bufferCapacity)
    }

    func append(_ value: Element) throws {
        buffer.append(value)
        count += 1
        if buffer.count >= capacity { try flush() }
    }

    func append<C: Collection>(contentsOf values: C) throws where C.Element == Element {
        buffer.append(contentsOf: values)
        count += values.count
        if buffer.count >= capacity { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try handle.write(contentsOf: Data($0)) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and forces the file to disk (a checkpoint must not point past what survives a crash).
    func synchronize() throws {
        try flush()
        try handle.synchronize()
    }

    /// Flushes and closes the file; the writer must not be used afterwards.
    func close() throws {
        try flush()
        try handle.close()
    }
}
