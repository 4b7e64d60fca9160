import COpenBLAS
import Formats
import Foundation
import Parallelism

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
        guard m > 0, k > 0 else { (promoted, suppressed) = (top, bottom); return }
        // γ is folded into the decoder's rows ((W_dec·diag γ)·W_Uᵀ = W_dec·(W_U·diag γ)ᵀ), so the products read W_U
        // in place instead of a scaled copy of it.
        var scaled = decoder.values
        if let gamma = finalNormWeight {
            for f in 0..<m { for x in 0..<d { scaled[f * d + x] *= gamma[x] } }
        }
        let chunk = max(1, min(vocabularyChunk, vocabulary))
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: m * chunk)
        defer { logits.deallocate() }
        let workers = min(Parallelism.workerCount, m)
        scaled.withUnsafeBufferPointer { a in
            unembedding.values.withUnsafeBufferPointer { b in
                top.withUnsafeMutableBufferPointer { top in
                    bottom.withUnsafeMutableBufferPointer { bottom in
                        let top = top.baseAddress!, bottom = bottom.baseAddress!
                        for start in stride(from: 0, to: vocabulary, by: chunk) {
                            let width = min(chunk, vocabulary - start)
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(d), 1,
                                        a.baseAddress!, Int32(d), b.baseAddress! + start * d, Int32(d), 0, logits, Int32(width))
                            Parallelism.forEach(workers) { worker in
                                for f in (m * worker / workers)..<(m * (worker + 1) / workers) {
                                    Self.scan(logits + f * width, count: width, firstToken: start,
                                              top: top + f * k, bottom: bottom + f * k, k: k)
                                }
                            }
                        }
                    }
                }
            }
        }
        promoted = top
        suppressed = bottom
    }

    /// Merges one feature's chunk of values (tokens `firstToken...`) into its best-first lists. Tokens arrive in
    /// increasing id and comparisons are strict, so ties keep the lower id.
    private static func scan(_ values: UnsafePointer<Float>, count: Int, firstToken: Int,
                             top: UnsafeMutablePointer<Effect>, bottom: UnsafeMutablePointer<Effect>, k: Int) {
        var highest = top[k - 1].value, lowest = bottom[k - 1].value
        for index in 0..<count {
            let value = values[index]
            if value > highest {
                insert(Effect(tokenID: firstToken + index, value: value), into: top, k: k, before: >)
                highest = top[k - 1].value
            }
            if value < lowest {
                insert(Effect(tokenID: firstToken + index, value: value), into: bottom, k: k, before: <)
                lowest = bottom[k - 1].value
            }
        }
    }

    /// The promoted and suppressed tokens of `feature`.
    public func effects(of feature: Int) -> (promoted: ArraySlice<Effect>, suppressed: ArraySlice<Effect>) {
        (promoted[feature * k..<(feature + 1) * k], suppressed[feature * k..<(feature + 1) * k])
    }

    private static func insert(_ effect: Effect, into list: UnsafeMutablePointer<Effect>, k: Int,
                               before: (Float, Float) -> Bool) {
        var slot = k - 1
        while slot > 0 && before(effect.value, list[slot - 1].value) {
            list[slot] = list[slot - 1]
            slot -= 1
        }
        list[slot] = effect
    }
}
