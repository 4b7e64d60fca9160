import Foundation

/// Writes a float32 `.npy` of a known 2-D shape row block by row block, so an `m × m` matrix can be written
/// without holding it in memory.
final class NPYStreamWriter {
    let url: URL
    private let handle: FileHandle
    private let shape: [Int]
    private var written = 0

    init(url: URL, rows: Int, columns: Int) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw InputError("cannot create file", url: url)
        }
        self.url = url
        shape = [rows, columns]
        handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: NPZStreamWriter.npyHeader(descr: "<f4", shape: shape))
    }

    /// Appends whole rows (`values.count` must be a multiple of the column count).
    func append(_ values: UnsafeBufferPointer<Float>) throws {
        precondition(values.count % shape[1] == 0)
        try handle.write(contentsOf: Data(buffer: values))
        written += values.count
    }

    func close() throws {
        guard written == shape[0] * shape[1] else {
            throw InputError("wrote \(written) of \(shape[0] * shape[1]) values", url: url)
        }
        try handle.close()
    }
}
