import Foundation

/// A compressed sparse row matrix in the layout `scipy.sparse.save_npz` uses: an `.npz` with `data`, `indices`,
/// `indptr`, `shape` (int64 pair) and `format` (the 0-d byte string `b'csr'`; older scipy wrote unicode `'csr'`). Row `r` holds the entries
/// `indptr[r]..<indptr[r+1]` of `data` and `indices` (column numbers).
public struct SparseCSR: Equatable, Sendable {
    /// Rows and columns.
    public var shape: (rows: Int, columns: Int)
    public var data: [Float]
    public var indices: [Int32]
    public var indptr: [Int64]

    /// A matrix from its parts; throws `InputError` when they are inconsistent.
    public init(shape: (rows: Int, columns: Int), data: [Float], indices: [Int32], indptr: [Int64]) throws {
        self.shape = shape
        self.data = data
        self.indices = indices
        self.indptr = indptr
        if let problem = validationProblem { throw InputError("inconsistent CSR matrix: \(problem)") }
    }

    /// A CSR matrix holding the nonzero entries of a dense row-major matrix.
    public init(dense values: [Float], rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "dense matrix size mismatch")
        shape = (rows, columns)
        data = []
        indices = []
        indptr = [0]
        indptr.reserveCapacity(rows + 1)
        for row in 0..<rows {
            for column in 0..<columns where values[row * columns + column] != 0 {
                data.append(values[row * columns + column])
                indices.append(Int32(column))
            }
            indptr.append(Int64(data.count))
        }
    }

    public static func == (a: SparseCSR, b: SparseCSR) -> Bool {
        a.shape == b.shape && a.data == b.data && a.indices == b.indices && a.indptr == b.indptr
    }

    /// The number of stored entries.
    public var storedCount: Int { data.count }

    /// The matrix as dense row-major values (duplicate entries summed, as scipy does).
    public func denseValues() -> [Float] {
        var dense = [Float](repeating: 0, count: shape.rows * shape.columns)
        for row in 0..<shape.rows {
            for position in Int(indptr[row])..<Int(indptr[row + 1]) {
                dense[row * shape.columns + Int(indices[position])] += data[position]
            }
        }
        return dense
    }

    /// Writes the matrix as scipy's `save_npz` does (compressed), atomically.
    public func write(to url: URL, compressed: Bool = true) throws {
        try NPZ.write(
            arrays: [
                ("indices", NPYArray(indices, shape: [indices.count])),
                ("indptr", NPYArray(indptr, shape: [indptr.count])),
                ("format", NPYArray(byteString: "csr")),
                ("shape", NPYArray([Int64(shape.rows), Int64(shape.columns)], shape: [2])),
                ("data", NPYArray(data, shape: [data.count])),
            ], to: url, compressed: compressed)
    }

    /// Reads a CSR matrix written by `scipy.sparse.save_npz` (or `write(to:)`), checking its structure.
    public static func read(from url: URL) throws -> SparseCSR {
        let arrays = try NPZ.read(url)
        func array(_ name: String) throws -> NPYArray {
            guard let array = arrays[name] else { throw InputError("sparse matrix archive has no \"\(name)\" array", url: url) }
            return array
        }
        do {
            let format = try array("format").stringValue()
            guard format == "csr" else { throw InputError("sparse matrix format is '\(format)', expected 'csr'", url: url) }
            let shape = try array("shape").int64Values()
            guard shape.count == 2, shape.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
                throw InputError("sparse matrix shape \(shape) is not two non-negative sizes", url: url)
            }
            let indices = try array("indices"), indptr = try array("indptr"), data = try array("data")
            guard indices.shape.count == 1, indptr.shape.count == 1, data.shape.count == 1 else {
                throw InputError("sparse matrix data, indices and indptr must be 1-d", url: url)
            }
            return try SparseCSR(
                shape: (Int(shape[0]), Int(shape[1])), data: data.floatValues(),
                indices: indices.int32Values(), indptr: indptr.int64Values())
        } catch let error as InputError where error.path == nil {
            throw InputError(error.message, url: url)
        }
    }

    /// Why the parts do not form a valid CSR matrix, or nil if they do.
    private var validationProblem: String? {
        guard shape.rows >= 0, shape.columns >= 0 else { return "negative shape \(shape)" }
        guard indptr.count == shape.rows + 1 else { return "indptr has \(indptr.count) entries for \(shape.rows) rows" }
        guard indptr.first == 0 else { return "indptr does not start at 0" }
        guard data.count == indices.count else { return "data has \(data.count) entries but indices has \(indices.count)" }
        guard indptr.last == Int64(data.count) else { return "indptr ends at \(indptr.last!) but there are \(data.count) entries" }
        for row in 0..<shape.rows where indptr[row] > indptr[row + 1] {
            return "indptr decreases at row \(row)"
        }
        if let bad = indices.first(where: { $0 < 0 || Int($0) >= shape.columns }) {
            return "column index \(bad) is outside 0..<\(shape.columns)"
        }
        return nil
    }
}
