import Formats
import Foundation
import LMRuntime

/// Similarity of SAE features by their decoder directions (the rows of `W_dec`), with the seed's definitions
/// (seed inventory §2.5), computed in row blocks with one sgemm per block so the full `m × m` matrix never has to
/// be in memory.
public struct DecoderSimilarity: Sendable {
    public enum Metric: String, Codable, Sendable, CaseIterable {
        /// `d̂ᵢ·d̂ⱼ` with `d̂ = d / (‖d‖ + 1e-8)`.
        case cosine
        /// `dᵢ·dⱼ`.
        case dot
        /// `−‖dᵢ − dⱼ‖` (negated so larger means closer), from `‖dᵢ‖² + ‖dⱼ‖² − 2 dᵢ·dⱼ` clipped at 0.
        case euclidean
    }

    public let metric: Metric
    public let dSae: Int
    public let dimension: Int
    /// The rows the products use: normalised for cosine, as given otherwise.
    private let rows: [Float]
    private let squaredNorms: [Double]

    /// `decoder` is `W_dec`, shape `[d_sae, d_in]`.
    public init(decoder: FloatTensor, metric: Metric = .cosine) {
        precondition(decoder.shape.count == 2, "W_dec must be 2-D")
        self.metric = metric
        dSae = decoder.shape[0]
        dimension = decoder.shape[1]
        var rows = decoder.values
        var squaredNorms = [Double](repeating: 0, count: dSae)
        for f in 0..<dSae {
            var sum = 0.0
            for x in 0..<dimension { sum += Double(rows[f * dimension + x]) * Double(rows[f * dimension + x]) }
            squaredNorms[f] = sum
            if metric == .cosine {
                let scale = Float(1 / (sum.squareRoot() + 1e-8))
                for x in 0..<dimension { rows[f * dimension + x] *= scale }
            }
        }
        self.rows = rows
        self.squaredNorms = squaredNorms
    }

    /// Calls `body` with consecutive row blocks of the similarity matrix (`range.count × dSae`, row-major).
    public func forEachBlock(rowsPerBlock: Int = 512, _ body: (Range<Int>, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        var block = [Float](repeating: 0, count: min(rowsPerBlock, dSae) * dSae)
        for start in stride(from: 0, to: dSae, by: rowsPerBlock) {
            let range = start..<min(start + rowsPerBlock, dSae)
            let count = range.count * dSae
            rows.withUnsafeBufferPointer { all in
                block.withUnsafeMutableBufferPointer { out in
                    MatrixProducts.multiply(
                        all.baseAddress! + start * dimension, all.baseAddress!, transposeB: true,
                        into: out.baseAddress!, m: range.count, n: dSae, k: dimension)
                }
            }
            if metric == .euclidean {
                for (offset, i) in range.enumerated() {
                    for j in 0..<dSae {
                        let squared = squaredNorms[i] + squaredNorms[j] - 2 * Double(block[offset * dSae + j])
                        block[offset * dSae + j] = i == j ? 0 : Float(-max(squared, 0).squareRoot())
                    }
                }
            }
            try block.withUnsafeBufferPointer { try body(range, UnsafeBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// The similarity of two features, computed directly (for small lookups such as cluster statistics).
    public func value(_ i: Int, _ j: Int) -> Double {
        var dot = 0.0
        for x in 0..<dimension { dot += Double(rows[i * dimension + x]) * Double(rows[j * dimension + x]) }
        switch metric {
        case .cosine, .dot: return dot
        case .euclidean: return i == j ? 0 : -max(squaredNorms[i] + squaredNorms[j] - 2 * dot, 0).squareRoot()
        }
    }
}
