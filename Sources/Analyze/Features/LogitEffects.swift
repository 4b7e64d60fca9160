import COpenBLAS
import Formats
import Foundation
import Parallelism

/// The output tokens each feature's decoder direction most promotes and suppresses through the unembedding
/// (the "logit lens" of sae_vis and Neuronpedia), and the distribution of its weights over the whole vocabulary:
/// the largest and smallest entries of each row of `W_dec · W_Uᵀ` and a histogram of the row. Features are taken
/// in blocks whose full vocabulary rows come from one sgemm, so each row is formed once and both are read from it.
public struct LogitEffects: Sendable {
    public struct Effect: Equatable, Sendable {
        public var tokenID: Int
        public var value: Float
    }

    public let dSae: Int
    public let k: Int
    /// `dSae × k`, best first per feature.
    public let promoted: [Effect]
    /// `dSae × k`, most negative first per feature.
    public let suppressed: [Effect]
    /// Per feature, `histogramBins` equal-width bins of its row over the vocabulary (numpy's `histogram` edges).
    public let histograms: [Histogram]

    /// `decoder` is `W_dec [d_sae, d]`; `unembedding` is `W_U [vocab, d]` (an HF `lm_head.weight`). When
    /// `finalNormWeight` (the final RMSNorm's γ, `[d]`) is given it is folded into `W_U` as TransformerLens does.
    /// `blockBytes` bounds the block of full rows held at once (at least one feature's row).
    public init(
        decoder: FloatTensor, unembedding: FloatTensor, finalNormWeight: [Float]? = nil,
        k: Int = 10, histogramBins: Int = 50, blockBytes: Int = 256 << 20
    ) throws {
        guard decoder.shape.count == 2, unembedding.shape.count == 2, decoder.shape[1] == unembedding.shape[1] else {
            throw InputError("W_dec \(decoder.shape) and the unembedding \(unembedding.shape) do not share a dimension")
        }
        let m = decoder.shape[0], d = decoder.shape[1], vocabulary = unembedding.shape[0]
        if let gamma = finalNormWeight, gamma.count != d {
            throw InputError("final norm weight has \(gamma.count) entries, expected \(d)")
        }
        dSae = m
        self.k = min(k, vocabulary)
        let k = self.k
        var top = [Effect](repeating: Effect(tokenID: -1, value: -.infinity), count: m * k)
        var bottom = [Effect](repeating: Effect(tokenID: -1, value: .infinity), count: m * k)
        var histograms = [Histogram](repeating: Histogram(edges: [0, 0], counts: [0]), count: m)
        guard m > 0, vocabulary > 0 else { (promoted, suppressed, self.histograms) = (top, bottom, histograms); return }
        // γ is folded into the decoder's rows ((W_dec·diag γ)·W_Uᵀ = W_dec·(W_U·diag γ)ᵀ), so the products read W_U
        // in place instead of a scaled copy of it.
        var scaled = decoder.values
        if let gamma = finalNormWeight {
            for f in 0..<m { for x in 0..<d { scaled[f * d + x] *= gamma[x] } }
        }
        let block = max(1, min(m, blockBytes / (4 * vocabulary)))
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: block * vocabulary)
        defer { logits.deallocate() }
        scaled.withUnsafeBufferPointer { a in
            unembedding.values.withUnsafeBufferPointer { b in
                top.withUnsafeMutableBufferPointer { top in
                    bottom.withUnsafeMutableBufferPointer { bottom in
                        histograms.withUnsafeMutableBufferPointer { histograms in
                            let top = top.baseAddress!, bottom = bottom.baseAddress!, histograms = histograms.baseAddress!
                            for first in stride(from: 0, to: m, by: block) {
                                let rows = min(block, m - first)
                                cblas_sgemm(
                                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(vocabulary), Int32(d), 1,
                                    a.baseAddress! + first * d, Int32(d), b.baseAddress!, Int32(d), 0, logits,
                                    Int32(vocabulary))
                                let workers = min(Parallelism.workerCount, rows)
                                Parallelism.forEach(workers) { worker in
                                    for r in (rows * worker / workers)..<(rows * (worker + 1) / workers) {
                                        let f = first + r, row = logits + r * vocabulary
                                        if k > 0 {
                                            Self.scan(row, count: vocabulary, top: top + f * k, bottom: bottom + f * k, k: k)
                                        }
                                        let values = UnsafeBufferPointer(start: row, count: vocabulary)
                                        // The scan's extremes are the row's (ties aside), so the histogram needs one pass.
                                        histograms[f] =
                                            k > 0
                                            ? Histogram.linear(
                                                values, bins: histogramBins, lower: bottom[f * k].value,
                                                upper: top[f * k].value)
                                            : Histogram.linear(values, bins: histogramBins)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        promoted = top
        suppressed = bottom
        self.histograms = histograms
    }

    /// Fills one feature's best-first lists from its row. Tokens arrive in increasing id and comparisons are
    /// strict, so ties keep the lower id.
    private static func scan(
        _ values: UnsafePointer<Float>, count: Int,
        top: UnsafeMutablePointer<Effect>, bottom: UnsafeMutablePointer<Effect>, k: Int
    ) {
        var highest = top[k - 1].value, lowest = bottom[k - 1].value
        for index in 0..<count {
            let value = values[index]
            if value > highest {
                insert(Effect(tokenID: index, value: value), into: top, k: k, before: >)
                highest = top[k - 1].value
            }
            if value < lowest {
                insert(Effect(tokenID: index, value: value), into: bottom, k: k, before: <)
                lowest = bottom[k - 1].value
            }
        }
    }

    /// The promoted and suppressed tokens of `feature`.
    public func effects(of feature: Int) -> (promoted: ArraySlice<Effect>, suppressed: ArraySlice<Effect>) {
        (promoted[feature * k..<(feature + 1) * k], suppressed[feature * k..<(feature + 1) * k])
    }

    private static func insert(
        _ effect: Effect, into list: UnsafeMutablePointer<Effect>, k: Int,
        before: (Float, Float) -> Bool
    ) {
        var slot = k - 1
        while slot > 0 && before(effect.value, list[slot - 1].value) {
            list[slot] = list[slot - 1]
            slot -= 1
        }
        list[slot] = effect
    }
}
