import Dispatch
import Formats
import Foundation
import LMRuntime
import Parallelism

/// Encodes activations with an SAE into `SparseCodes` (decoding is `SparseAutoencoder.decode`).
///
/// Encoding is the per-token input normalisation (if any) and `x − b_dec` in one pass over a copy of the chunk, one
/// sgemm `[N, d]·[d, m]` (seeded with `b_enc`), then the architecture's rule per row (rows in parallel) straight into
/// CSR; every format and architecture (gated too, folded on load) takes this path. Row-independent rules run in chunks of rows so the dense pre-activations
/// stay small; `batch` mode needs the whole pool's pre-activations at once (`N·m` floats).
public struct SAEEncoder: Sendable {
    /// The rule that turns a row of pre-activations `pre` into features.
    public enum Rule: Equatable, Sendable {
        /// `f = max(pre, 0)`.
        case relu
        /// `f = pre · 1[pre > θ_i] · 1[pre > 0]` with the SAE's per-feature thresholds.
        case jumpReLU
        /// The `k` largest positive `pre` of each row.
        case tokenTopK(Int)
        /// The `N·k` largest positive `pre` over all `N` rows of one `encode` call (the seed's BatchTopK).
        case poolTopK(Int)
        /// `f = pre · 1[pre ≥ θ] · 1[pre > 0]` with one global θ.
        case globalThreshold(Float)
    }

    public let sae: SparseAutoencoder
    public let rule: Rule

    /// The encoder for `sae`. `topKMode` matters only for top-k architectures; `threshold` mode needs the calibrated
    /// `threshold` (see `ThresholdCalibrator`).
    public init(sae: SparseAutoencoder, topKMode: TopKMode? = nil, threshold: Float? = nil) throws {
        self.sae = sae
        switch sae.config.architecture {
        case .relu: rule = .relu
        case .jumpReLU, .gated: rule = .jumpReLU
        case .batchTopK, .topK:
            let k = sae.config.k!
            switch topKMode ?? .default(for: sae.config.architecture) {
            case .token: rule = .tokenTopK(k)
            case .batch: rule = .poolTopK(k)
            case .threshold:
                guard let threshold, threshold.isFinite, threshold >= 0 else {
                    throw InputError("topk mode threshold needs a calibrated, finite, non-negative threshold (got \(threshold.map { "\($0)" } ?? "none"))")
                }
                rule = .globalThreshold(threshold)
            }
        }
    }

    /// An encoder with a given rule (the calibrator's candidates: `globalThreshold` at their floor).
    init(sae: SparseAutoencoder, rule: Rule) { (self.sae, self.rule) = (sae, rule) }

    /// Rows per chunk for row-independent rules: about 4M floats of pre-activations.
    private var chunkRows: Int { max(16, (1 << 22) / max(1, sae.dSae)) }

    /// Encodes `rows` activations (row-major `[rows, d_in]`).
    public func encode(_ x: [Float], rows: Int) -> SparseCodes {
        precondition(x.count == rows * sae.dIn, "expected \(rows) × \(sae.dIn) values, got \(x.count)")
        if case .poolTopK(let k) = rule { return encodePool(x, rows: rows, k: k) }
        var codes = SparseCodes(dSae: sae.dSae)
        var start = 0
        while start < rows {
            let end = min(rows, start + chunkRows)
            let pre = sae.preActivations(x, rows: start..<end)
            codes.append(contentsOf: selectRows(pre, rows: end - start))
            start = end
        }
        return codes
    }

    /// Applies a row-independent rule to `rows` rows of pre-activations, rows in parallel blocks.
    func selectRows(_ pre: [Float], rows: Int) -> SparseCodes {
        let m = sae.dSae
        let blockRows = max(1, rows / (4 * Parallelism.workerCount))
        let blocks = (rows + blockRows - 1) / blockRows
        var pieces = [SparseCodes](repeating: SparseCodes(dSae: m), count: blocks)
        pre.withUnsafeBufferPointer { p in
            pieces.withUnsafeMutableBufferPointer { out in
                let out = out  // captured by value into the concurrent closure; each block writes its own slot
                Parallelism.forEach(blocks) { block in
                    let range = (block * blockRows)..<min(rows, (block + 1) * blockRows)
                    out[block] = selectBlock(p.baseAddress!, rows: range)
                }
            }
        }
        var codes = SparseCodes(dSae: m)
        for piece in pieces { codes.append(contentsOf: piece) }
        return codes
    }

    private func selectBlock(_ pre: UnsafePointer<Float>, rows: Range<Int>) -> SparseCodes {
        let m = sae.dSae
        var codes = SparseCodes(dSae: m)
        var scratch = [Float](repeating: 0, count: m)
        for row in rows {
            let values = pre + row * m
            switch rule {
            case .relu:
                for i in 0..<m where values[i] > 0 { codes.appendEntry(i, values[i]) }
            case .jumpReLU:
                let theta = sae.threshold!
                for i in 0..<m where values[i] > theta[i] && values[i] > 0 { codes.appendEntry(i, values[i]) }
            case .globalThreshold(let theta):
                for i in 0..<m where values[i] >= theta && values[i] > 0 { codes.appendEntry(i, values[i]) }
            case .tokenTopK(let k):
                var positive = 0
                for i in 0..<m where values[i] > 0 { scratch[positive] = values[i]; positive += 1 }
                if positive <= k {
                    for i in 0..<m where values[i] > 0 { codes.appendEntry(i, values[i]) }
                } else {
                    let kth = scratch.withUnsafeMutableBufferPointer { kthLargest($0.baseAddress!, count: positive, k: k) }
                    var ties = k - (0..<m).reduce(0) { $0 + (values[$1] > kth ? 1 : 0) }
                    for i in 0..<m {
                        if values[i] > kth {
                            codes.appendEntry(i, values[i])
                        } else if values[i] == kth, ties > 0 {
                            codes.appendEntry(i, values[i])
                            ties -= 1
                        }
                    }
                }
            case .poolTopK:
                preconditionFailure("pool top-k is not row-independent")
            }
            codes.rowStarts.append(codes.features.count)
        }
        return codes
    }

    /// The seed's BatchTopK over one pool: keep the `rows·k` largest positive values of `ReLU(pre)`; ties at the
    /// boundary go to the earlier (row-major) entries.
    private func encodePool(_ x: [Float], rows: Int, k: Int) -> SparseCodes {
        let m = sae.dSae
        let pre = sae.preActivations(x, rows: 0..<rows)
        let budget = min(rows * k, rows * m)
        var positives = pre.filter { $0 > 0 }
        var cutoff: Float = 0  // keep v > cutoff, and `ties` entries equal to it
        var ties = 0
        if positives.count > budget {
            cutoff = positives.withUnsafeMutableBufferPointer { kthLargest($0.baseAddress!, count: $0.count, k: budget) }
            ties = budget - pre.reduce(0) { $0 + ($1 > cutoff ? 1 : 0) }
        }
        positives = []
        var codes = SparseCodes(dSae: m)
        for row in 0..<rows {
            for i in 0..<m {
                let value = pre[row * m + i]
                if value > cutoff {
                    codes.appendEntry(i, value)
                } else if value == cutoff, ties > 0, value > 0 {
                    codes.appendEntry(i, value)
                    ties -= 1
                }
            }
            codes.rowStarts.append(codes.features.count)
        }
        return codes
    }
}

extension SparseCodes {
    @inline(__always) mutating func appendEntry(_ feature: Int, _ value: Float) {
        features.append(Int32(feature))
        values.append(value)
    }
}

extension SparseAutoencoder {
    /// `pre = (normalize(x) − b_dec·[apply]) · W_enc + b_enc·[uses b_enc]` for `rows` of `x`, row-major
    /// `[rows.count, d_sae]`. For the seed's BatchTopK this is before the ReLU, without `b_enc`.
    public func preActivations(_ x: [Float], rows: Range<Int>) -> [Float] {
        let d = dIn, m = dSae, n = rows.count
        var centered = Array(x[(rows.lowerBound * d)..<(rows.upperBound * d)])
        let normalization = config.normalization, subtractsBias = config.appliesDecoderBiasToInput
        if normalization.isPerToken || subtractsBias {
            centered.withUnsafeMutableBufferPointer { c in
                decoderBias.withUnsafeBufferPointer { b in
                    for row in 0..<n {
                        let r = c.baseAddress! + row * d
                        if normalization.isPerToken {
                            let t = normalization.transform(of: r, count: d)
                            for j in 0..<d { r[j] = (r[j] - t.shift) * t.inputScale }
                        }
                        if subtractsBias { for j in 0..<d { r[j] -= b[j] } }
                    }
                }
            }
        }
        var pre = [Float](repeating: 0, count: n * m)
        pre.withUnsafeMutableBufferPointer { p in
            if config.usesEncoderBias {
                for row in 0..<n { p.baseAddress!.advanced(by: row * m).update(from: encoderBias, count: m) }
            }
            guard n > 0 else { return }
            MatrixProducts.multiply(centered, encoderWeight, into: p.baseAddress!, m: n, n: m, k: d, beta: 1)
        }
        return pre
    }
}
