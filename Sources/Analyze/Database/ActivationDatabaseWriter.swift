import Formats
import Foundation

/// Builds the token × feature activation database incrementally on disk.
///
/// Each appended row's nonzero activations go straight to raw column files (`data`, `indices`, `indptr`) and its
/// token to three more (`token_id`, `text_idx`, `position`), so memory stays constant however long the corpus is;
/// nothing in memory grows. `finish()` returns an `ActivationDatabase` reading those columns back through memory
/// maps; its `writeCSR`/`writeTokenTable` produce the artifacts. `synchronize()` makes the columns durable (a
/// checkpoint), and `init(resuming:)` continues from such a point.
public final class ActivationDatabaseWriter {
    /// The directory holding the column files (created by `init`, owned by the resulting database).
    public let directory: URL
    public let dSae: Int
    private let data: ColumnFileWriter<Float>
    private let indices: ColumnFileWriter<Int32>
    private let indptr: ColumnFileWriter<Int64>
    private let tokenIDs: ColumnFileWriter<Int32>
    private let textIndices: ColumnFileWriter<Int32>
    private let positions: ColumnFileWriter<Int32>
    private var rowCount = 0
    private var nonzeroCount: Int64 = 0
    private var scratch: [(Int32, Float)] = []

    /// Creates `directory` (which must not exist yet) for a database with `dSae` columns.
    public init(directory: URL, dSae: Int) throws {
        precondition(dSae > 0 && dSae <= Int(Int32.max))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.dSae = dSae
        data = try ColumnFileWriter(url: directory.appendingPathComponent(ActivationDatabase.Column.data))
        indices = try ColumnFileWriter(url: directory.appendingPathComponent(ActivationDatabase.Column.indices))
        indptr = try ColumnFileWriter(url: directory.appendingPathComponent(ActivationDatabase.Column.indptr))
        tokenIDs = try ColumnFileWriter(url: directory.appendingPathComponent(ActivationDatabase.Column.tokenID))
        textIndices = try ColumnFileWriter(url: directory.appendingPathComponent(ActivationDatabase.Column.textIndex))
        positions = try ColumnFileWriter(url: directory.appendingPathComponent(ActivationDatabase.Column.position))
        try indptr.append(0)
    }

    /// Reopens the columns in `directory` to append after their first `rows` rows holding `nonzeros` activations
    /// (what a checkpoint recorded; anything written after it is cut off).
    public init(resuming directory: URL, dSae: Int, rows: Int, nonzeros: Int) throws {
        func column<T>(_ name: String, _ count: Int) throws -> ColumnFileWriter<T> {
            try ColumnFileWriter(appendingTo: directory.appendingPathComponent(name), keeping: count)
        }
        self.directory = directory
        self.dSae = dSae
        data = try column(ActivationDatabase.Column.data, nonzeros)
        indices = try column(ActivationDatabase.Column.indices, nonzeros)
        indptr = try column(ActivationDatabase.Column.indptr, rows + 1)
        tokenIDs = try column(ActivationDatabase.Column.tokenID, rows)
        textIndices = try column(ActivationDatabase.Column.textIndex, rows)
        positions = try column(ActivationDatabase.Column.position, rows)
        rowCount = rows
        nonzeroCount = Int64(nonzeros)
    }

    /// The number of rows appended so far.
    public var count: Int { rowCount }
    /// The number of activations stored so far.
    public var nonzeros: Int { Int(nonzeroCount) }

    /// Appends one token's row: its activations as parallel feature ids and values (any order). Only values > 0
    /// are stored (the seed's `F > 0`). Rows of one text must be appended consecutively.
    /// Throws when a feature id is out of range, repeated, or a value is not finite.
    public func append<F: Collection<Int32>, V: Collection<Float>>(token: TokenRecord, features: F, values: V) throws {
        precondition(features.count == values.count, "features and values differ in length")
        scratch.removeAll(keepingCapacity: true)
        var sorted = true
        var previous: Int32 = -1
        for (feature, value) in zip(features, values) {
            guard value.isFinite else {
                throw InputError("row \(rowCount) has a non-finite activation \(value) for feature \(feature)")
            }
            guard value > 0 else { continue }
            guard feature >= 0, Int(feature) < dSae else {
                throw InputError("row \(rowCount) has feature id \(feature) outside 0..<\(dSae)")
            }
            if feature <= previous { sorted = false }
            previous = feature
            scratch.append((feature, value))
        }
        if !sorted {
            scratch.sort { $0.0 < $1.0 }
            for i in 1..<scratch.count where scratch[i].0 == scratch[i - 1].0 {
                throw InputError("row \(rowCount) lists feature \(scratch[i].0) twice")
            }
        }
        try indices.append(contentsOf: scratch.lazy.map(\.0))
        try data.append(contentsOf: scratch.lazy.map(\.1))
        nonzeroCount += Int64(scratch.count)
        try indptr.append(nonzeroCount)
        try tokenIDs.append(token.tokenID)
        try textIndices.append(token.textIndex)
        try positions.append(token.position)
        rowCount += 1
    }

    /// Flushes every column and forces it to disk.
    public func synchronize() throws {
        for column in [
            data.synchronize, indices.synchronize, indptr.synchronize, tokenIDs.synchronize,
            textIndices.synchronize, positions.synchronize,
        ] {
            try column()
        }
    }

    /// Closes the column files and opens them for reading.
    public func finish() throws -> ActivationDatabase {
        for column in [data.close, indices.close, indptr.close, tokenIDs.close, textIndices.close, positions.close] {
            try column()
        }
        return try ActivationDatabase(directory: directory, dSae: dSae)
    }
}
