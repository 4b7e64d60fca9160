import Formats
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
    public mutating func add(_ x: [Float], rows: Int) {
        precondition(x.count == rows * sae.dIn)
        var start = 0
        let chunk = max(16, (1 << 22) / sae.dSae)
        while start < rows {
            let end = min(rows, start + chunk)
            positives.append(contentsOf: sae.preActivations(x, rows: start..<end).lazy.filter { $0 > 0 })
            start = end
        }
        tokenCount += rows
    }

    /// This calibrator's sample plus `other`'s.
    public func merged(with other: ThresholdCalibrator) -> ThresholdCalibrator {
        var result = self
        result.positives.append(contentsOf: other.positives)
        result.tokenCount += other.tokenCount
        return result
    }

    /// The calibrated threshold θ (0 for an empty sample).
    public func threshold() -> Float {
        let budget = tokenCount * k
        guard budget > 0, positives.count > budget else { return 0 }
        var copy = positives
        return copy.withUnsafeMutableBufferPointer { kthLargest($0.baseAddress!, count: $0.count, k: budget) }
    }
}
