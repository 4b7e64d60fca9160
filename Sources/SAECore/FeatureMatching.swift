import Formats
import Foundation
import LMRuntime
import Parallelism

/// Feature matching between two SAEs of the same input width by decoder cosine: for every feature of each SAE,
/// the feature of the other SAE whose decoder direction (row of `W_dec`) is closest. Directions are normalised as
/// the seed's decoder similarity does, `d̂ = d / (‖d‖ + 1e-8)`, so an all-zero row has cosine 0 with everything.
///
/// The cross-cosine matrix `Â · B̂ᵀ` is computed in row blocks of A with one sgemm each; every block updates the
/// best match of its rows (A → B) and the running column maxima (B → A), so only one `rowsPerBlock × m_B` block
/// is ever in memory. Ties go to the lower feature id (as numpy's `argmax`).
public struct FeatureMatching: Sendable {
    /// For every feature of one SAE, its best match in the other.
    public struct BestMatches: Sendable, Equatable {
        /// Index of the best-matching feature of the other SAE.
        public var index: [Int32]
        /// Its cosine, in [-1, 1].
        public var cosine: [Float]

        public var count: Int { index.count }

        /// Features whose best cosine is below `threshold` (unmatched), in id order.
        public func unmatched(below threshold: Float) -> [Int] {
            cosine.indices.filter { cosine[$0] < threshold }
        }
    }

    /// Best match in B of every feature of A.
    public let aToB: BestMatches
    /// Best match in A of every feature of B.
    public let bToA: BestMatches

    /// `decoderA` is A's `W_dec` `[m_A, d]`, `decoderB` B's `[m_B, d]`. Throws `InputError` when the shapes are not
    /// two matrices of the same width.
    public init(decoderA: FloatTensor, decoderB: FloatTensor, rowsPerBlock: Int = 512) throws {
        guard decoderA.shape.count == 2, decoderB.shape.count == 2, decoderA.shape[0] > 0, decoderB.shape[0] > 0 else {
            throw InputError("feature matching needs two non-empty decoder matrices, got shapes \(decoderA.shape) and \(decoderB.shape)")
        }
        guard decoderA.shape[1] == decoderB.shape[1] else {
            throw InputError(
                "decoders have different input widths (d_in \(decoderA.shape[1]) and \(decoderB.shape[1])); "
                    + "their features cannot be matched")
        }
        let mA = decoderA.shape[0], mB = decoderB.shape[0], d = decoderA.shape[1]
        let a = Self.normalizedRows(decoderA.values, count: mA, width: d)
        let b = Self.normalizedRows(decoderB.values, count: mB, width: d)
        let blockRows = max(1, min(rowsPerBlock, mA))

        var rowIndex = [Int32](repeating: 0, count: mA), rowBest = [Float](repeating: -.infinity, count: mA)
        var columnIndex = [Int32](repeating: 0, count: mB), columnBest = [Float](repeating: -.infinity, count: mB)
        var block = [Float](repeating: 0, count: blockRows * mB)
        BLAS.configure()
        for start in stride(from: 0, to: mA, by: blockRows) {
            let rows = min(blockRows, mA - start)
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    block.withUnsafeMutableBufferPointer { out in
                        MatrixProducts.multiply(
                            a.baseAddress! + start * d, b.baseAddress!, transposeB: true, into: out.baseAddress!,
                            m: rows, n: mB, k: d)
                    }
                }
            }
            block.withUnsafeBufferPointer { block in
                rowIndex.withUnsafeMutableBufferPointer { rowIndex in
                    rowBest.withUnsafeMutableBufferPointer { rowBest in
                        Self.rowMaxima(block, rows: rows, columns: mB, into: rowIndex, rowBest, offset: start)
                    }
                }
                columnIndex.withUnsafeMutableBufferPointer { columnIndex in
                    columnBest.withUnsafeMutableBufferPointer { columnBest in
                        Self.columnMaxima(block, rows: rows, columns: mB, into: columnIndex, columnBest, firstRow: start)
                    }
                }
            }
        }
        aToB = BestMatches(index: rowIndex, cosine: rowBest)
        bToA = BestMatches(index: columnIndex, cosine: columnBest)
    }

    /// For every feature of A, whether its best match in B has it as its own best match in A.
    public var mutualA: [Bool] {
        aToB.index.enumerated().map { i, j in Int(bToA.index[Int(j)]) == i }
    }

    /// Pairs of features that are each other's best match.
    public var mutualCount: Int { mutualA.lazy.filter { $0 }.count }

    // MARK: - Kernels

    private static func normalizedRows(_ values: [Float], count: Int, width: Int) -> [Float] {
        var rows = values
        rows.withUnsafeMutableBufferPointer { rows in
            Parallelism.forEach(min(count, 64)) { chunk in
                var f = chunk * count / min(count, 64)
                let end = (chunk + 1) * count / min(count, 64)
                while f < end {
                    var sum = 0.0
                    for x in 0..<width { sum += Double(rows[f * width + x]) * Double(rows[f * width + x]) }
                    let scale = Float(1 / (sum.squareRoot() + 1e-8))
                    for x in 0..<width { rows[f * width + x] *= scale }
                    f += 1
                }
            }
        }
        return rows
    }

    /// Best column of each block row (rows are independent: one task per group of rows).
    private static func rowMaxima(
        _ block: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        into index: UnsafeMutableBufferPointer<Int32>, _ best: UnsafeMutableBufferPointer<Float>,
        offset: Int
    ) {
        let tasks = min(rows, 16)
        Parallelism.forEach(tasks) { task in
            for r in (task * rows / tasks)..<((task + 1) * rows / tasks) {
                let row = block.baseAddress! + r * columns
                var top = row[0], at = 0
                for c in 1..<max(1, columns) where row[c] > top { top = row[c]; at = c }
                index[offset + r] = Int32(at)
                best[offset + r] = top
            }
        }
    }

    /// Folds the block's column maxima into the running ones (one task per range of columns; rows in ascending
    /// order with a strict comparison, so the lowest row wins ties across blocks too).
    private static func columnMaxima(
        _ block: UnsafeBufferPointer<Float>, rows: Int, columns: Int,
        into index: UnsafeMutableBufferPointer<Int32>, _ best: UnsafeMutableBufferPointer<Float>,
        firstRow: Int
    ) {
        let tasks = min(columns, 16)
        Parallelism.forEach(tasks) { task in
            let lo = task * columns / tasks, hi = (task + 1) * columns / tasks
            for r in 0..<rows {
                let row = block.baseAddress! + r * columns
                let id = Int32(firstRow + r)
                for c in lo..<hi where row[c] > best[c] {
                    best[c] = row[c]
                    index[c] = id
                }
            }
        }
    }
}
