import Foundation
import Parallelism

/// How many tokens each pair of features fired on together, for a block of rows of the `m × m` count matrix
/// (`J = AᵀA` of the binary firing matrix `A`), counted from the sparse rows of the activation database:
/// every token adds 1 for each pair of its active features. The diagonal holds each feature's own count.
/// With `products`, the same pass also sums `aᵢ·aⱼ` over the tokens (`XᵀX` of the activations, Double), the
/// cross term of the features' Pearson correlation over tokens; pairs that never fired together add nothing.
///
/// Counting a block of rows needs `rows.count × m` UInt32s (and as many Doubles with `products`); `FeatureAnalysis`
/// picks the block size from a memory budget and makes one pass over the database per block.
public struct CooccurrenceCounts: Sendable {
    public let dSae: Int
    /// The matrix rows held.
    public let rows: Range<Int>
    /// `rows.count × dSae` counts, row-major.
    public private(set) var counts: [UInt32]
    /// `rows.count × dSae` sums of `aᵢ·aⱼ`, row-major; empty unless asked for.
    public private(set) var productSums: [Double]

    /// Counts the rows `rows` over every token of `database`, on `threads` threads (default: every core). Thread
    /// `t` owns the matrix rows `i` with `i % threads == t`, so the threads never write the same memory; each
    /// reads the whole (memory-mapped) database, which costs little next to the scattered increments.
    public init(
        database: ActivationDatabase, rows: Range<Int>, products: Bool = false, threads: Int = Parallelism.workerCount
    ) {
        precondition(database.rowCount < Int(UInt32.max), "more tokens than a UInt32 count can hold")
        dSae = database.dSae
        self.rows = rows
        let m = dSae
        let whole = rows == 0..<m
        let threadCount = max(1, min(threads, rows.count, 64))
        var counts = [UInt32](repeating: 0, count: rows.count * m)
        var productSums = [Double](repeating: 0, count: products ? rows.count * m : 0)
        counts.withUnsafeMutableBufferPointer { matrix in
            productSums.withUnsafeMutableBufferPointer { sums in
                // An empty array may still have a base address.
                let base = matrix.baseAddress!, sumBase = products ? sums.baseAddress : nil
                let rowStart = rows.lowerBound, rowEnd = rows.upperBound
                Parallelism.forEach(threadCount) { thread in
                    database.forEachRow { _, features, values in
                        let n = features.count
                        for a in 0..<n {
                            let i = Int(features[a])
                            guard i >= rowStart, i < rowEnd, i % threadCount == thread else { continue }
                            let row = base + (i - rowStart) * m
                            // Upper triangle and diagonal only when every row is held (ids ascend within a
                            // row); mirrored below.
                            let first = whole ? a : 0
                            if let sumBase {
                                let sumRow = sumBase + (i - rowStart) * m, ai = Double(values[a])
                                for b in first..<n {
                                    let j = Int(features[b])
                                    row[j] &+= 1
                                    sumRow[j] += ai * Double(values[b])
                                }
                            } else {
                                for b in first..<n { row[Int(features[b])] &+= 1 }
                            }
                        }
                    }
                }
                if whole {
                    // In 64 × 64 tiles (a column of the upper triangle is a strided read), bands of rows in parallel:
                    // each band writes only its own rows' lower triangle and reads only the upper one.
                    let tile = 64
                    Parallelism.forEach((m + tile - 1) / tile) { band in
                        let rows = (band * tile)..<min(m, (band + 1) * tile)
                        for columnStart in stride(from: 0, to: rows.upperBound, by: tile) {
                            for i in rows {
                                for j in columnStart..<min(i, columnStart + tile) {
                                    base[i * m + j] = base[j * m + i]
                                    if let sumBase { sumBase[i * m + j] = sumBase[j * m + i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        self.counts = counts
        self.productSums = productSums
    }

    /// `Σ aᵢ·aⱼ` over the tokens (`i` a row held here); needs `products`.
    public func productSum(_ i: Int, _ j: Int) -> Double { productSums[(i - rows.lowerBound) * dSae + j] }

    /// The number of tokens on which features `i` (a row held here) and `j` both fired.
    public func joint(_ i: Int, _ j: Int) -> UInt32 { counts[(i - rows.lowerBound) * dSae + j] }

    /// The pairwise counts among `features` only (`n × n`, in the given order), in one pass over `database`.
    public static func among(_ features: [Int], in database: ActivationDatabase) -> [UInt32] {
        let n = features.count
        var local = [Int](repeating: -1, count: database.dSae)
        for (index, feature) in features.enumerated() { local[feature] = index }
        var counts = [UInt32](repeating: 0, count: n * n)
        var present: [Int] = []
        database.forEachRow { _, row, _ in
            present.removeAll(keepingCapacity: true)
            for feature in row where local[Int(feature)] >= 0 { present.append(local[Int(feature)]) }
            for a in present { for b in present { counts[a * n + b] &+= 1 } }
        }
        return counts
    }
}
