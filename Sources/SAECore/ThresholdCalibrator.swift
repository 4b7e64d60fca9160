import Formats
import Parallelism
/// Calibrates the global threshold of `TopKMode.threshold` for a top-k SAE: over a sample of `N` tokens, θ is the
/// `(N·k)`-th largest dense activation `ReLU(pre)`, so that encoding the sample with `f = a · 1[a ≥ θ]` gives a mean
/// L0 of exactly `k` (ties aside). Zero when the sample has at most `N·k` positive activations (then every positive
/// activation is kept).
///
/// It keeps every positive pre-activation of the sample (4 bytes each, about half of `N·d_sae`), so feed it a sample
/// (e.g. the first few thousand tokens of the corpus), not the corpus.
public struct ThresholdCalibrator: Sendable {
    public let sae: SparseAutoencoder
    public let k: Int
    /// Tokens added so far.
    public private(set) var tokenCount = 0
    private var positives: [Float] = []

    /// A calibrator for `sae`'s own `k` (or `k` when given); the SAE must be a top-k SAE unless `k` is given.
    public init(sae: SparseAutoencoder, k: Int? = nil) throws {
        guard let k = k ?? sae.config.k, k >= 1 else {
            throw InputError("threshold calibration needs a top-k SAE (this one is \(sae.config.architecture.rawValue))")
        }
        self.sae = sae
        self.k = k
    }

    /// Adds `rows` tokens' activations (row-major `[rows, d_in]`).
    public mutating func add(_ x: [Float], rows: Int) { _ = add(x, rows: rows, candidateFloorFraction: nil) }

    /// Adds `rows` tokens' activations, as `add` does, and keeps the candidates for their codes: every positive
    /// pre-activation at or above a floor, `floorFraction` of the threshold that the rows' first chunk alone would
    /// give. The calibrated threshold is rarely below it, and then the candidates give the rows' codes without a
    /// second encoding (`CandidateCodes`).
    public mutating func addKeepingCandidates(_ x: [Float], rows: Int, floorFraction: Float) -> CandidateCodes {
        add(x, rows: rows, candidateFloorFraction: floorFraction) ?? CandidateCodes(dSae: sae.dSae, floor: 0)
    }

    /// nil without a floor fraction, or without rows.
    private mutating func add(_ x: [Float], rows: Int, candidateFloorFraction: Float?) -> CandidateCodes? {
        precondition(x.count == rows * sae.dIn)
        var candidates: CandidateCodes?
        var start = 0
        // The chunks of `SAEEncoder.encode`, so the pre-activations are those the pass would compute, bit for bit.
        let chunk = max(16, (1 << 22) / sae.dSae)
        while start < rows {
            let end = min(rows, start + chunk)
            let pre = sae.preActivations(x, rows: start..<end)
            let before = positives.count
            for piece in Self.positiveValues(pre) { positives.append(contentsOf: piece) }
            if let fraction = candidateFloorFraction {
                if candidates == nil {
                    candidates = CandidateCodes(dSae: sae.dSae, floor: fraction * threshold(tokens: end - start, from: before))
                }
                // The encoder's own rule at the floor: the same codes it would give with θ = floor.
                let atFloor = SAEEncoder(sae: sae, rule: .globalThreshold(candidates!.floor))
                candidates!.append(atFloor.selectRows(pre, rows: end - start))
            }
            start = end
        }
        tokenCount += rows
        return candidates
    }

    /// The positive values of `pre`, in order, as the pieces of parallel blocks.
    private static func positiveValues(_ pre: [Float]) -> [[Float]] {
        let parts = 4 * Parallelism.workerCount
        var pieces = [[Float]](repeating: [], count: parts)
        pre.withUnsafeBufferPointer { p in
            pieces.withUnsafeMutableBufferPointer { out in
                let out = out  // each part writes its own slot
                Parallelism.forEach(parts) { part in
                    var piece: [Float] = []
                    for value in p[(p.count * part / parts)..<(p.count * (part + 1) / parts)] where value > 0 { piece.append(value) }
                    out[part] = piece
                }
            }
        }
        return pieces
    }

    /// This calibrator's sample plus `other`'s.
    public func merged(with other: ThresholdCalibrator) -> ThresholdCalibrator {
        var result = self
        result.positives.append(contentsOf: other.positives)
        result.tokenCount += other.tokenCount
        return result
    }

    /// The calibrated threshold θ (0 for an empty sample).
    public func threshold() -> Float { threshold(tokens: tokenCount, from: 0) }

    /// θ of `tokens` tokens whose positives are `positives[first...]`.
    private func threshold(tokens: Int, from first: Int) -> Float {
        let budget = tokens * k
        guard budget > 0, positives.count - first > budget else { return 0 }
        var copy = Array(positives[first...])
        return copy.withUnsafeMutableBufferPointer { kthLargest($0.baseAddress!, count: $0.count, k: budget) }
    }
}

/// Candidate codes of a sample's rows (`ThresholdCalibrator.addKeepingCandidates`): each row's positive pre-activations
/// at or above one floor, features increasing.
public struct CandidateCodes: Sendable {
    public private(set) var codes: SparseCodes
    public let floor: Float

    init(dSae: Int, floor: Float) { (codes, self.floor) = (SparseCodes(dSae: dSae), floor) }

    /// Bytes the candidates hold.
    public var byteCount: Int { codes.features.count * 8 + codes.rowStarts.count * 8 }

    /// The codes of `SAEEncoder`'s global-threshold rule (`pre ≥ θ` and `pre > 0`) for these rows, or nil when the
    /// floor lies above θ (features at or above θ may not have been kept).
    public func codes(threshold: Float) -> SparseCodes? {
        guard floor <= threshold else { return nil }
        var result = SparseCodes(dSae: codes.dSae)
        result.features.reserveCapacity(codes.features.count)
        result.values.reserveCapacity(codes.values.count)
        for row in 0..<codes.rowCount {
            for index in codes.range(ofRow: row) where codes.values[index] >= threshold {
                result.appendEntry(Int(codes.features[index]), codes.values[index])
            }
            result.rowStarts.append(result.features.count)
        }
        return result
    }

    /// Appends the candidates of further rows.
    mutating func append(_ rows: SparseCodes) { codes.append(contentsOf: rows) }
}
