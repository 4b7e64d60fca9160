/// The feature activations of a batch of tokens in CSR form: row `t` holds token `t`'s nonzero features, ids
/// ascending, in `features[rowStarts[t] ..< rowStarts[t + 1]]` with their values in `values` at the same indices.
public struct SparseCodes: Equatable, Sendable {
    /// `d_sae`: feature ids lie in `0 ..< dSae`.
    public var dSae: Int
    /// `rowCount + 1` offsets into `features`/`values`; `rowStarts[0] == 0`.
    public var rowStarts: [Int]
    /// Feature ids, ascending within each row.
    public var features: [Int32]
    /// Activation values (all > 0 for the SAEs we read).
    public var values: [Float]

    public init(dSae: Int, rowStarts: [Int], features: [Int32], values: [Float]) {
        precondition(
            rowStarts.first == 0 && rowStarts.last == features.count && features.count == values.count,
            "inconsistent CSR arrays")
        self.dSae = dSae
        self.rowStarts = rowStarts
        self.features = features
        self.values = values
    }

    /// An empty batch of `dSae` features.
    public init(dSae: Int) {
        self.init(dSae: dSae, rowStarts: [0], features: [], values: [])
    }

    /// Builds codes from a dense row-major `[rows, dSae]` matrix, keeping the nonzero entries.
    public init(dense: [Float], rows: Int, dSae: Int) {
        precondition(dense.count == rows * dSae)
        var codes = SparseCodes(dSae: dSae)
        for row in 0..<rows {
            for feature in 0..<dSae where dense[row * dSae + feature] != 0 {
                codes.features.append(Int32(feature))
                codes.values.append(dense[row * dSae + feature])
            }
            codes.rowStarts.append(codes.features.count)
        }
        self = codes
    }

    /// The number of tokens.
    public var rowCount: Int { rowStarts.count - 1 }
    /// The number of stored (nonzero) activations.
    public var nonzeroCount: Int { features.count }
    /// The fraction of the `[rowCount, dSae]` matrix that is stored.
    public var density: Double {
        rowCount == 0 ? 0 : Double(nonzeroCount) / (Double(rowCount) * Double(dSae))
    }

    /// The index range of row `row` in `features` and `values`.
    public func range(ofRow row: Int) -> Range<Int> { rowStarts[row]..<rowStarts[row + 1] }

    /// The codes as a dense row-major `[rowCount, dSae]` matrix.
    public func dense() -> [Float] {
        var result = [Float](repeating: 0, count: rowCount * dSae)
        for row in 0..<rowCount {
            for index in range(ofRow: row) { result[row * dSae + Int(features[index])] = values[index] }
        }
        return result
    }

    /// Appends the rows of `other` (same `dSae`) after this batch's rows.
    public mutating func append(contentsOf other: SparseCodes) {
        precondition(other.dSae == dSae, "feature counts differ")
        let base = features.count
        features.append(contentsOf: other.features)
        values.append(contentsOf: other.values)
        rowStarts.append(contentsOf: other.rowStarts.dropFirst().map { $0 + base })
    }
}
