import CBF16Gemm
import Formats

/// The element type the model's weight matrices are kept and multiplied in (`--dtype`). Vectors (norms, biases),
/// the residual stream, softmax and every accumulator stay fp32 either way.
public enum WeightDType: String, Codable, Sendable, CaseIterable {
    case fp32
    /// bfloat16 matrices, used in place from a bf16 checkpoint's mapped file (others are rounded once at load).
    case bf16
}

/// A weight matrix `[rows, columns]`, row-major (a PyTorch `Linear` weight `[out, in]`), in the storage the matrix
/// backend multiplies (`linear` in MatrixBackend.swift).
///
/// bf16 matrices are a stack of row blocks, each contiguous: a fused projection (q | k | v, gate | up) stays as its
/// checkpoint tensors, used where they are mapped, instead of being copied into one array.
public struct WeightMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    let storage: Storage

    enum Storage {
        case f32([Float])
        case bf16([BF16Rows])
    }

    /// `rows` contiguous rows of bf16 values (`rows · columns` of them at `values`), kept alive by `owner`.
    struct BF16Rows {
        let rows: Int
        let values: UnsafePointer<UInt16>
        let owner: AnyObject
    }

    public var dtype: WeightDType {
        if case .f32 = storage { return .fp32 }
        return .bf16
    }

    /// An fp32 matrix.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "[\(rows), \(columns)] does not hold \(values.count) values")
        (self.rows, self.columns, storage) = (rows, columns, .f32(values))
    }

    /// A bf16 matrix rounded from fp32 values (round to nearest even), in memory it owns.
    public init(rows: Int, columns: Int, roundingToBF16 values: [Float]) {
        precondition(values.count == rows * columns, "[\(rows), \(columns)] does not hold \(values.count) values")
        let buffer = OwnedBF16(count: values.count)
        values.withUnsafeBufferPointer { sae_f32_to_bf16($0.baseAddress, buffer.pointer, values.count) }
        self.init(rows: rows, columns: columns, blocks: [BF16Rows(rows: rows, values: buffer.pointer, owner: buffer)])
    }

    init(rows: Int, columns: Int, blocks: [BF16Rows]) {
        precondition(blocks.reduce(0) { $0 + $1.rows } == rows, "the row blocks do not add up to \(rows) rows")
        (self.rows, self.columns, storage) = (rows, columns, .bf16(blocks))
    }

    /// The matrices one above the other (all of one dtype and width): `[Σ rows, columns]`.
    public static func stacking(_ parts: [WeightMatrix]) -> WeightMatrix {
        let columns = parts[0].columns, rows = parts.reduce(0) { $0 + $1.rows }
        precondition(parts.allSatisfy { $0.columns == columns && $0.dtype == parts[0].dtype }, "stacking mismatched matrices")
        switch parts[0].storage {
        case .f32: return WeightMatrix(rows: rows, columns: columns, values: parts.flatMap { $0.floatValues })
        case .bf16:
            return WeightMatrix(
                rows: rows, columns: columns,
                blocks: parts.flatMap { part -> [BF16Rows] in
                    guard case .bf16(let blocks) = part.storage else { return [] }
                    return blocks
                })
        }
    }

    /// Rows `range` as a matrix of their own (no copy of bf16 values; an fp32 slice is copied).
    public func rows(_ range: Range<Int>) -> WeightMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        switch storage {
        case .f32(let values):
            return WeightMatrix(rows: range.count, columns: columns, values: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
        case .bf16(let blocks):
            var result: [BF16Rows] = []
            var start = 0
            for block in blocks {
                let lower = max(range.lowerBound, start), upper = min(range.upperBound, start + block.rows)
                if lower < upper {
                    result.append(BF16Rows(rows: upper - lower, values: block.values + (lower - start) * columns, owner: block.owner))
                }
                start += block.rows
            }
            return WeightMatrix(rows: range.count, columns: columns, blocks: result)
        }
    }

    /// Row `row` as fp32 into `output` (`columns` values), e.g. an embedding lookup.
    func copyRow(_ row: Int, into output: UnsafeMutablePointer<Float>) {
        switch storage {
        case .f32(let values):
            values.withUnsafeBufferPointer { output.update(from: $0.baseAddress! + row * columns, count: columns) }
        case .bf16(let blocks):
            var start = 0
            for block in blocks {
                if row < start + block.rows {
                    sae_bf16_to_f32(block.values + (row - start) * columns, output, columns)
                    return
                }
                start += block.rows
            }
            preconditionFailure("row \(row) of \(rows)")
        }
    }

    /// All values as fp32, row-major (a copy when the storage is bf16).
    public var floatValues: [Float] {
        switch storage {
        case .f32(let values): return values
        case .bf16:
            return [Float](count: rows * columns) { buffer in
                for row in 0..<rows { copyRow(row, into: buffer.baseAddress! + row * columns) }
            }
        }
    }

    /// The bf16 row blocks, each with the index of its first row in the matrix (empty for fp32).
    var bf16Blocks: [(firstRow: Int, block: BF16Rows)] {
        guard case .bf16(let blocks) = storage else { return [] }
        var start = 0
        return blocks.map { block in
            defer { start += block.rows }
            return (start, block)
        }
    }
}

/// bf16 values in memory this program allocated (rounded from another dtype, or reordered), 64-byte aligned.
final class OwnedBF16 {
    let pointer: UnsafeMutablePointer<UInt16>
    init(count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 2, alignment: 64)
        pointer = raw.bindMemory(to: UInt16.self, capacity: max(1, count))
    }
    deinit { pointer.deallocate() }
}
