import Formats
import Foundation

/// An activation folder's token table: for each activation row, the token id, the index of its text in the
/// corpus, and its 0-based position in that text (the activation database's `tokens_<ts>.npz` columns).
///
/// On disk either a `.npy` of integers `[n_tokens, 3]` (columns `token_id, text_idx, position`) or a
/// `.safetensors` file with three 1-D integer tensors named `token_id`, `text_idx` and `position`.
public struct TokenTable: Equatable, Sendable {
    public static let columnNames = ["token_id", "text_idx", "position"]

    public var tokenIDs: [Int32]
    public var textIndices: [Int32]
    public var positions: [Int32]

    public var count: Int { tokenIDs.count }

    public init(tokenIDs: [Int32], textIndices: [Int32], positions: [Int32]) {
        precondition(tokenIDs.count == textIndices.count && tokenIDs.count == positions.count)
        (self.tokenIDs, self.textIndices, self.positions) = (tokenIDs, textIndices, positions)
    }

    /// Reads `url` (`.npy` or `.safetensors`); a wrong shape, type or value range is an `InputError` naming it.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw InputError("token table missing", url: url) }
        let columns: [[Int64]]
        switch url.pathExtension {
        case "npy":
            let array = try NPY.read(url)
            guard array.shape.count == 2, array.shape[1] == 3 else {
                throw InputError(
                    "token table has shape \(array.shape), expected [n_tokens, 3] (token_id, text_idx, position)", url: url)
            }
            let values: [Int64]
            do { values = try array.int64Values() } catch let error as InputError { throw InputError(error.message, url: url) }
            let rows = array.shape[0]
            columns = (0..<3).map { column in (0..<rows).map { values[$0 * 3 + column] } }
        case "safetensors":
            let file = try SafetensorsFile(contentsOf: url)
            columns = try Self.columnNames.map { try Self.integerColumn($0, in: file) }
            guard Set(columns.map(\.count)).count == 1 else {
                throw InputError("token table columns have different lengths \(columns.map(\.count))", url: url)
            }
        default:
            throw InputError("token table must be a .npy or .safetensors file", url: url)
        }
        func narrow(_ column: Int) throws -> [Int32] {
            try columns[column].enumerated().map { row, value in
                guard let narrow = Int32(exactly: value), narrow >= 0 else {
                    throw InputError("token table row \(row): \(Self.columnNames[column]) \(value) is negative or too large", url: url)
                }
                return narrow
            }
        }
        self.init(tokenIDs: try narrow(0), textIndices: try narrow(1), positions: try narrow(2))
    }

    private static func integerColumn(_ name: String, in file: SafetensorsFile) throws -> [Int64] {
        guard let dtype = file.dtype(of: name), let shape = file.shape(of: name) else {
            throw InputError("token table has no tensor \"\(name)\" (expected token_id, text_idx, position)", url: file.url)
        }
        guard shape.count == 1, dtype == .i32 || dtype == .i64 else {
            throw InputError("tensor \"\(name)\" is \(dtype.rawValue) \(shape), expected 1-D I32 or I64", url: file.url)
        }
        return file.withRawBytes(of: name) { bytes in
            (0..<shape[0]).map { i in
                dtype == .i32
                    ? Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                    : Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
            }
        }!
    }

    /// Writes the table as an int32 `[n_tokens, 3]` `.npy`.
    public func writeNPY(to url: URL) throws {
        var values = [Int32]()
        values.reserveCapacity(count * 3)
        for row in 0..<count { values += [tokenIDs[row], textIndices[row], positions[row]] }
        try NPY.write(values, shape: [count, 3], to: url)
    }
}
