import Formats
import Foundation
import LMRuntime
import Parallelism

/// The output tokens each feature's decoder direction most promotes and suppresses through the unembedding
/// (the "logit lens" of sae_vis and Neuronpedia), and the distribution of its weights over the whole vocabulary:
/// the largest and smallest entries of each row of `W_dec · W_Uᵀ` and a histogram of the row. Features are taken
/// in blocks whose full vocabulary rows come from one product with the unembedding as stored (a bf16 head stays
/// bf16), so each row is formed once and both are read from it; the extremes come from one pass over the row that
/// keeps the best `k` so far (no sort of the vocabulary).
public struct LogitEffects: Sendable {
    public struct Effect: Equatable, Sendable {
        public var tokenID: Int
        public var value: Float
    }

    public let dSae: Int
    public let k: Int
    /// The features whose effects were computed, increasing (all of them unless a subset was asked for).
    public let features: [Int]
    /// `dSae × k`, best first per feature (token id -1 for the features not computed).
    public let promoted: [Effect]
    /// `dSae × k`, most negative first per feature.
    public let suppressed: [Effect]
    /// Per feature, `histogramBins` equal-width bins of its row over the vocabulary (numpy's `histogram` edges);
    /// a placeholder (edges [0, 0], one empty bin) for the features not computed.
    public let histograms: [Histogram]
    private let computed: [Bool]

    /// `decoder` is `W_dec [d_sae, d]`; `unembedding` is `W_U [vocab, d]` (an HF `lm_head.weight`). When
    /// `finalNormWeight` (the final RMSNorm's γ, `[d]`) is given it is folded into `W_U` as TransformerLens does.
    /// `blockBytes` bounds the block of full rows held at once (at least one feature's row).
    public init(
        decoder: FloatTensor, unembedding: FloatTensor, finalNormWeight: [Float]? = nil,
        features: [Int]? = nil, k: Int = 10, histogramBins: Int = 50, blockBytes: Int = 256 << 20
    ) throws {
        guard unembedding.shape.count == 2 else {
            throw InputError("the unembedding has shape \(unembedding.shape), expected [vocab, d]")
        }
        try self.init(
            decoder: decoder,
            unembedding: WeightMatrix(rows: unembedding.shape[0], columns: unembedding.shape[1], values: unembedding.values),
            finalNormWeight: finalNormWeight, features: features, k: k, histogramBins: histogramBins, blockBytes: blockBytes)
    }

    /// As above, with `W_U` in the storage the model keeps it in (fp32 or bf16, multiplied in place). `features`
    /// (ids below d_sae) limits the work to those features, e.g. the ones that fired; nil means all.
    public init(
        decoder: FloatTensor, unembedding: WeightMatrix, finalNormWeight: [Float]? = nil,
        features: [Int]? = nil, k: Int = 10, histogramBins: Int = 50, blockBytes: Int = 256 << 20
    ) throws {
        guard decoder.shape.count == 2, decoder.shape[1] == unembedding.columns else {
            throw InputError(
                "W_dec \(decoder.shape) and the unembedding [\(unembedding.rows), \(unembedding.columns)] do not share a dimension")
        }
        let m = decoder.shape[0], d = decoder.shape[1], vocabulary = unembedding.rows
        if let gamma = finalNormWeight, gamma.count != d {
            throw InputError("final norm weight has \(gamma.count) entries, expected \(d)")
        }
        let chosen = Array(Set(features ?? Array(0..<m))).sorted()
        precondition(chosen.allSatisfy { (0..<m).contains($0) }, "logit effects asked for a feature outside 0..<\(m)")
        dSae = m
        self.k = min(k, vocabulary)
        self.features = chosen
        let k = self.k
        var top = [Effect](repeating: Effect(tokenID: -1, value: -.infinity), count: m * k)
        var bottom = [Effect](repeating: Effect(tokenID: -1, value: .infinity), count: m * k)
        var histograms = [Histogram](repeating: Histogram(edges: [0, 0], counts: [0]), count: m)
        var computed = [Bool](repeating: false, count: m)
        for f in chosen { computed[f] = true }
        self.computed = computed
        guard !chosen.isEmpty, vocabulary > 0 else { (promoted, suppressed, self.histograms) = (top, bottom, histograms); return }
        let rows = Self.decoderRows(decoder.values, width: d, features: chosen, finalNormWeight: finalNormWeight)
        let block = max(1, min(chosen.count, blockBytes / (4 * vocabulary)))
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: block * vocabulary)
        defer { logits.deallocate() }
        rows.withUnsafeBufferPointer { a in
            top.withUnsafeMutableBufferPointer { top in
                bottom.withUnsafeMutableBufferPointer { bottom in
                    histograms.withUnsafeMutableBufferPointer { histograms in
                        let top = top.baseAddress!, bottom = bottom.baseAddress!, histograms = histograms.baseAddress!
                        for first in stride(from: 0, to: chosen.count, by: block) {
                            let count = min(block, chosen.count - first)
                            MatrixProducts.linear(
                                a.baseAddress! + first * d, rows: count, dIn: d, weight: unembedding, into: logits)
                            let workers = min(Parallelism.workerCount, count)
                            Parallelism.forEach(workers) { worker in
                                for r in (count * worker / workers)..<(count * (worker + 1) / workers) {
                                    let f = chosen[first + r], row = logits + r * vocabulary
                                    if k > 0 {
                                        Self.scan(row, count: vocabulary, top: top + f * k, bottom: bottom + f * k, k: k)
                                    }
                                    let values = UnsafeBufferPointer(start: row, count: vocabulary)
                                    // The scan's extremes are the row's (ties aside), so the histogram needs one pass.
                                    histograms[f] =
                                        k > 0
                                        ? Histogram.linear(
                                            values, bins: histogramBins, lower: bottom[f * k].value, upper: top[f * k].value)
                                        : Histogram.linear(values, bins: histogramBins)
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

    /// The rows of `features` from `W_dec` (`width` wide), with γ folded in: `(W_dec·diag γ)·W_Uᵀ =
    /// W_dec·(W_U·diag γ)ᵀ`, so the products read W_U in place instead of a scaled copy of it.
    private static func decoderRows(_ decoder: [Float], width d: Int, features: [Int], finalNormWeight: [Float]?) -> [Float] {
        var rows = [Float](repeating: 0, count: features.count * d)
        for (index, f) in features.enumerated() {
            rows.replaceSubrange((index * d)..<((index + 1) * d), with: decoder[(f * d)..<((f + 1) * d)])
            if let gamma = finalNormWeight {
                for x in 0..<d { rows[index * d + x] *= gamma[x] }
            }
        }
        return rows
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

    /// Whether `feature`'s effects were computed.
    public func covers(_ feature: Int) -> Bool { computed[feature] }

    /// The promoted and suppressed tokens of `feature` (placeholders with token id -1 when it is not covered).
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
