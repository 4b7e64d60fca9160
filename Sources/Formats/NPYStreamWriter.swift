import Foundation
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a float32 `.npy` of a known 2-D shape row block by row block, so a large matrix (an `m × m` similarity
/// matrix, every token's activations) never has to sit in memory whole. The rows go to a hidden sibling file that
/// `close()` renames into place once every row is written; `discard()` removes it.
///
/// Each block is written on a thread of its own while the caller computes the next one: `append` first waits for the
/// previous block's write (so one block at most is pending) and reports its error, as `close` does.
public final class NPYStreamWriter: @unchecked Sendable {
    public let url: URL
    private let temporary: URL
    private let handle: FileHandle
    private let shape: [Int]
    private var written = 0
    private let queue = DispatchQueue(label: "NPYStreamWriter")
    /// The first failed write's error; set and read on `queue`.
    private var failure: InputError?

    public init(url: URL, rows: Int, columns: Int) throws {
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: temporary)
        else {
            throw InputError("cannot create file", url: url)
        }
        self.url = url
        self.handle = handle
        shape = [rows, columns]
        do { try NPY.header(descr: "<f4", shape: shape).withUnsafeBytes { try write($0) } } catch {
            discard()
            throw error
        }
    }

    /// Appends whole rows (`values.count` must be a multiple of the column count); they are copied first.
    public func append(_ values: UnsafeBufferPointer<Float>) throws {
        try append(Array(values))
    }

    /// Appends whole rows, written from `values` itself (no copy while the caller does not change it).
    public func append(_ values: [Float]) throws {
        precondition(values.count % shape[1] == 0 && written + values.count <= shape[0] * shape[1], "row count mismatch")
        if let failure = queue.sync(execute: { failure }) { throw failure }
        written += values.count
        queue.async {
            guard self.failure == nil else { return }
            do { try values.withUnsafeBytes { try self.write($0) } } catch { self.failure = error as? InputError }
        }
    }

    /// Checks that every row was written and moves the file into place.
    public func close() throws {
        if let failure = queue.sync(execute: { failure }) {
            discard()
            throw failure
        }
        guard written == shape[0] * shape[1] else {
            discard()
            throw InputError("wrote \(written) of \(shape[0] * shape[1]) values", url: url)
        }
        try? handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw InputError("cannot write file: \(reason)", url: url)
        }
    }

    /// Removes the partial file (after a failure), once the pending writes are done.
    public func discard() {
        queue.sync {}
        try? handle.close()
        try? FileManager.default.removeItem(at: temporary)
    }

    /// Writes straight from `bytes` (a block can be hundreds of MB: no copy into a `Data` first).
    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = Foundation.write(handle.fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw InputError("cannot write file: \(count < 0 ? String(cString: strerror(errno)) : "no progress")", url: url)
            }
            offset += count
        }
    }
}
