import COpenBLAS

/// The output tokens each feature's decoder direction most promotes and suppresses through the unembedding
/// (the "logit lens" of sae_vis and Neuronpedia): the largest and smallest entries of each row of
/// `W_dec · W_Uᵀ`, computed in vocabulary chunks with one sgemm per chunk for all features at once.
public struct LogitEffects: Sendable {
    public struct Effect: Equatable, Sendable {
        public var tokenID: Int
        public var value: Float
    }

    public let featureCount: Int
    public let k: Int
    /// `featureCount × k`, best first per feature.
    public let promoted: [Effect]
    /// `featureCount × k`, most negative first per feature.
    public let suppressed: [Effect]

    /// `decoder` is `W_dec [d_sae, d]`; `unembedding` is `W_U [vocab, d]` (an HF `lm_head.weight`). When
    /// `finalNormWeight` (the final RMSNorm's γ, `[d]`) is given it is folded into `W_U` as TransformerLens does.
    public init(decoder: FloatTensor, unembedding: FloatTensor, finalNormWeight: [Float]? = nil,
                k: Int = 10, vocabularyChunk: Int = 8192) throws {
        guard decoder.shape.count == 2, unembedding.shape.count == 2, decoder.shape[1] == unembedding.shape[1] else {
            throw InputError("W_dec \(decoder.shape) and the unembedding \(unembedding.shape) do not share a dimension")
        }
        let m = decoder.shape[0], d = decoder.shape[1], vocabulary = unembedding.shape[0]
        if let gamma = finalNormWeight, gamma.count != d {
            throw InputError("final norm weight has \(gamma.count) entries, expected \(d)")
        }
        featureCount = m
        self.k = min(k, vocabulary)
        let k = self.k
        var top = [Effect](repeating: Effect(tokenID: -1, value: -.infinity), count: m * k)
        var bottom = [Effect](repeating: Effect(tokenID: -1, value: .infinity), count: m * k)
        let chunk = max(1, min(vocabularyChunk, vocabulary))
        var weights = [Float](repeating: 0, count: chunk * d)
        var logits = [Float](repeating: 0, count: m * chunk)
        for start in stride(from: 0, to: vocabulary, by: chunk) {
            let width = min(chunk, vocabulary - start)
            for t in 0..<width {
                for x in 0..<d {
                    weights[t * d + x] = unembedding.values[(start + t) * d + x] * (finalNormWeight?[x] ?? 1)
                }
            }
            decoder.values.withUnsafeBufferPointer { a in
                weights.withUnsafeBufferPointer { b in
                    logits.withUnsafeMutableBufferPointer { c in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(d), 1,
                                    a.baseAddress!, Int32(d), b.baseAddress!, Int32(d), 0, c.baseAddress!, Int32(width))
                    }
                }
            }
            for f in 0..<m {
                for t in 0..<width {
                    let value = logits[f * width + t]
                    // Tokens arrive in increasing id, so strict comparisons keep the lower id on ties.
                    if value > top[f * k + k - 1].value {
                        Self.insert(Effect(tokenID: start + t, value: value), into: &top, base: f * k, k: k, before: >)
                    }
                    if value < bottom[f * k + k - 1].value {
                        Self.insert(Effect(tokenID: start + t, value: value), into: &bottom, base: f * k, k: k, before: <)
                    }
                }
            }
        }
        promoted = top
        suppressed = bottom
    }

    /// The promoted and suppressed tokens of `feature`.
    public func effects(of feature: Int) -> (promoted: ArraySlice<Effect>, suppressed: ArraySlice<Effect>) {
        (promoted[feature * k..<(feature + 1) * k], suppressed[feature * k..<(feature + 1) * k])
    }

    private static func insert(_ effect: Effect, into list: inout [Effect], base: Int, k: Int,
                               before: (Float, Float) -> Bool) {
        var slot = k - 1
        while slot > 0 && before(effect.value, list[base + slot - 1].value) {
            list[base + slot] = list[base + slot - 1]
            slot -= 1
        }
        list[base + slot] = effect
    }
}
