import Formats
import Foundation

/// The token × feature activation matrix (CSR) and its token table, read through memory maps from the raw
/// column files an `ActivationDatabaseWriter` wrote.
///
/// Row `i` is the `i`-th token appended; its feature ids are ascending. Random access to a row costs two
/// index reads; the value of one feature in a row is a binary search in that row.
public final class ActivationDatabase: @unchecked Sendable {
    /// File names of the raw columns inside `directory`.
    enum Column {
        static let data = "data.f32"
        static let indices = "indices.i32"
        static let indptr = "indptr.i64"
        static let tokenID = "token_id.i32"
        static let textIndex = "text_idx.i32"
        static let position = "position.i32"
    }

    public let directory: URL
    public let dSae: Int
    /// The number of rows (tokens).
    public let rowCount: Int
    private let data: MappedFile<Float>
    private let indices: MappedFile<Int32>
    private let indptr: MappedFile<Int64>
    private let tokenIDs: MappedFile<Int32>
    private let textIndices: MappedFile<Int32>
    private let positions: MappedFile<Int32>
    /// The first row of each run of rows that share a text, ascending.
    private let textRunStarts: [Int]

    /// Opens the column files in `directory` (as an `ActivationDatabaseWriter` left them).
    public init(directory: URL, dSae: Int) throws {
        self.directory = directory
        self.dSae = dSae
        data = try MappedFile(url: directory.appendingPathComponent(Column.data))
        indices = try MappedFile(url: directory.appendingPathComponent(Column.indices))
        indptr = try MappedFile(url: directory.appendingPathComponent(Column.indptr))
        tokenIDs = try MappedFile(url: directory.appendingPathComponent(Column.tokenID))
        textIndices = try MappedFile(url: directory.appendingPathComponent(Column.textIndex))
        positions = try MappedFile(url: directory.appendingPathComponent(Column.position))
        rowCount = indptr.count - 1
        guard rowCount >= 0, data.count == indices.count, Int(indptr.buffer.last ?? -1) == data.count,
            tokenIDs.count == rowCount, textIndices.count == rowCount, positions.count == rowCount
        else {
            throw InputError("activation database columns have inconsistent lengths", url: directory)
        }
        var starts: [Int] = []
        let texts = textIndices.buffer
        for row in 0..<rowCount where row == 0 || texts[row] != texts[row - 1] { starts.append(row) }
        textRunStarts = starts
    }

    /// The number of stored (nonzero) activations.
    public var nonzeroCount: Int { data.count }

    /// Row `row`'s feature ids (ascending) and values; the buffers are valid while the database is alive.
    public func row(_ row: Int) -> (features: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>) {
        precondition(row >= 0 && row < rowCount, "row \(row) out of range")
        let start = Int(indptr.buffer[row]), end = Int(indptr.buffer[row + 1])
        return (
            UnsafeBufferPointer(rebasing: indices.buffer[start..<end]),
            UnsafeBufferPointer(rebasing: data.buffer[start..<end])
        )
    }

    /// The activation of `feature` at `row` (0 when not stored).
    public func value(row: Int, feature: Int) -> Float {
        let (features, values) = self.row(row)
        var low = 0, high = features.count
        let target = Int32(feature)
        while low < high {
            let middle = (low + high) / 2
            if features[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < features.count && features[low] == target ? values[low] : 0
    }

    /// Calls `body` for every row in order, in one sequential pass over the mapped columns.
    public func forEachRow(_ body: (Int, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        let pointers = indptr.buffer, features = indices.buffer, values = data.buffer
        for row in 0..<rowCount {
            let start = Int(pointers[row]), end = Int(pointers[row + 1])
            try body(row, UnsafeBufferPointer(rebasing: features[start..<end]), UnsafeBufferPointer(rebasing: values[start..<end]))
        }
    }

    /// The token of `row`.
    public func token(_ row: Int) -> TokenRecord {
        TokenRecord(tokenID: tokenIDs.buffer[row], textIndex: textIndices.buffer[row], position: positions.buffer[row])
    }

    /// The rows of the text that `row` belongs to (found by binary search over text starts, never a scan).
    public func textRows(containing row: Int) -> Range<Int> {
        precondition(row >= 0 && row < rowCount, "row \(row) out of range")
        var low = 0, high = textRunStarts.count
        while low < high {
            let middle = (low + high) / 2
            if textRunStarts[middle] <= row { low = middle + 1 } else { high = middle }
        }
        let start = textRunStarts[low - 1]
        let end = low < textRunStarts.count ? textRunStarts[low] : rowCount
        return start..<end
    }

    /// The rows of each text, in row order (a text's rows are consecutive).
    public var textRuns: [Range<Int>] {
        textRunStarts.indices.map { textRunStarts[$0]..<($0 + 1 < textRunStarts.count ? textRunStarts[$0 + 1] : rowCount) }
    }

    /// The rows within `radius` tokens of `row` in the same text.
    public func contextRows(around row: Int, radius: Int) -> Range<Int> {
        let text = textRows(containing: row)
        return max(text.lowerBound, row - radius)..<min(text.upperBound, row + radius + 1)
    }

    /// Writes the scipy CSR archive (`scipy.sparse.load_npz`: data float32, indices int32, indptr int64,
    /// shape int64, format 'csr') by streaming the column files.
    public func writeCSR(to url: URL) throws {
        let csr: [NPZStreamWriter.Member] = [
            .init(name: "indices", descr: "<i4", shape: [nonzeroCount], source: .file(indices.url)),
            .init(name: "indptr", descr: "<i8", shape: [rowCount + 1], source: .file(indptr.url)),
            .init(name: "format", descr: "|S3", shape: [], source: .bytes(Data("csr".utf8))),
            .init(
                name: "shape", descr: "<i8", shape: [2],
                source: .bytes([Int64(rowCount), Int64(dSae)].withUnsafeBytes { Data($0) })),
            .init(name: "data", descr: "<f4", shape: [nonzeroCount], source: .file(data.url)),
        ]
        try NPZStreamWriter.write(csr, to: url)
    }

    /// Writes the token table (int32 `token_id`, `text_idx`, `position`; entry i describes CSR row i).
    public func writeTokenTable(to url: URL) throws {
        try NPZStreamWriter.write(
            [
                .init(name: "token_id", descr: "<i4", shape: [rowCount], source: .file(tokenIDs.url)),
                .init(name: "text_idx", descr: "<i4", shape: [rowCount], source: .file(textIndices.url)),
                .init(name: "position", descr: "<i4", shape: [rowCount], source: .file(positions.url)),
            ], to: url)
    }
}
