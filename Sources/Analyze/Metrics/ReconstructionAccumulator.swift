/// Streaming reconstruction statistics of `x̂` against `x`: MSE, explained variance (ours, SAELens's legacy one and
/// the seed's), cosine, shrinkage. One `add` call is one pool of tokens (the seed's batch of texts, pads removed),
/// which matters only for the seed's per-batch formulas and the legacy EV. Float64 throughout; per-dimension means
/// and centred sums of squares are merged with Chan's update, so `merged(with:)` equals one pass over all data.
public struct ReconstructionAccumulator: Codable, Sendable {
    /// `d_in`.
    public let dimension: Int
    private var stats: ByFirstToken<ReconstructionStats>

    public init(dimension: Int) {
        self.dimension = dimension
        let empty = ReconstructionStats(dimension: dimension)
        stats = ByFirstToken(allTokens: empty, withoutFirstToken: empty)
    }

    /// Adds one pool of `rows` tokens: `original` and `reconstruction` are row-major `[rows, d_in]`.
    public mutating func add(original: [Float], reconstruction: [Float], isFirst: [Bool]) {
        let rows = isFirst.count
        precondition(original.count == rows * dimension && reconstruction.count == rows * dimension)
        let variants = rowsByVariant(isFirst: isFirst)
        original.withUnsafeBufferPointer { x in
            reconstruction.withUnsafeBufferPointer { xhat in
                stats.allTokens.add(x: x, xhat: xhat, rows: variants.allTokens)
                stats.withoutFirstToken.add(x: x, xhat: xhat, rows: variants.withoutFirstToken)
            }
        }
    }

    /// The statistics of this accumulator's data and `other`'s together.
    public func merged(with other: ReconstructionAccumulator) -> ReconstructionAccumulator {
        precondition(other.dimension == dimension)
        var result = self
        result.stats.allTokens.merge(other.stats.allTokens)
        result.stats.withoutFirstToken.merge(other.stats.withoutFirstToken)
        return result
    }

    /// The metrics so far.
    public var result: ByFirstToken<ReconstructionMetrics> { stats.map { $0.metrics() } }
}

/// Reconstruction metrics of one token variant. Sums run over tokens `t`, `μ` is the per-dimension mean of `x`.
public struct ReconstructionMetrics: Codable, Equatable, Sendable {
    public var nTokens: Int
    /// Σ‖x−x̂‖² / (N·d): the per-element MSE (the seed's `mse` and `F.mse_loss`).
    public var msePerElement: Double?
    /// Σ‖x−x̂‖² / N: the per-token squared error (SAELens after PR #711, the training loss).
    public var msePerToken: Double?
    /// 1 − Σ‖x−x̂‖² / Σ‖x−μ‖²: pooled R² with the per-dimension corpus mean (SAELens after PR #665, sparsify).
    public var explainedVariance: Double?
    /// mean_t [1 − ‖x_t−x̂_t‖² / ‖x_t−μ_pool‖²] with each pool's own mean (SAELens/SAEBench legacy; the number in
    /// the SAEBench paper and on Neuronpedia). Tokens of one-token pools are skipped (their denominator is 0).
    public var explainedVarianceLegacy: Double?
    /// mean_t cos(x_t, x̂_t) (0 for a zero vector, as torch's eps-guarded cosine).
    public var cosineSimilarity: Double?
    /// Σ‖x̂‖² / Σ⟨x, x̂⟩, pooled over tokens (Gated-SAE paper eq. 10; SAELens averages it per batch). < 1 = shrinkage.
    public var relativeReconstructionBias: Double?
    /// mean_t ‖x̂_t‖ / ‖x_t‖ (denominators below 1e-4 count as 1, as SAELens).
    public var l2Ratio: Double?
    /// mean_t ‖x_t‖ and mean_t ‖x̂_t‖.
    public var l2NormIn: Double?, l2NormOut: Double?
    /// The seed's definitions, computed on the same pools.
    public var seed: SeedReconstructionMetrics

    enum CodingKeys: String, CodingKey {
        case nTokens = "n_tokens"
        case msePerElement = "mse_per_element"
        case msePerToken = "mse_per_token"
        case explainedVariance = "explained_variance"
        case explainedVarianceLegacy = "explained_variance_legacy"
        case cosineSimilarity = "cosine_similarity"
        case relativeReconstructionBias = "relative_reconstruction_bias"
        case l2Ratio = "l2_ratio"
        case l2NormIn = "l2_norm_in"
        case l2NormOut = "l2_norm_out"
        case seed
    }
}

/// The seed's `compute_reconstruction_metrics` (seed inventory §2.9), pool by pool, token-weighted across pools.
public struct SeedReconstructionMetrics: Codable, Equatable, Sendable {
    /// Σ_b mean(R_b²)·n_b / N (equals `msePerElement`).
    public var mse: Double?
    /// 1 − Σ_b var(R_b)·n_b / Σ_b var(X_b)·n_b with `var` the Bessel variance of the flattened pool (all tokens and
    /// dimensions as one list): inflated by the spread between dimensions and by high-norm tokens.
    public var explainedVariance: Double?
    /// Σ_b mean_t cos·n_b / N (equals `cosineSimilarity`).
    public var cosineSimilarity: Double?
    /// sqrt(Σ_b var(X_b)·n_b / N) and sqrt(Σ_b var(R_b)·n_b / N).
    public var originalStd: Double?, residualStd: Double?

    enum CodingKeys: String, CodingKey {
        case mse
        case explainedVariance = "explained_variance"
        case cosineSimilarity = "cosine_similarity"
        case originalStd = "original_std"
        case residualStd = "residual_std"
    }
}

/// Sums for one token variant.
struct ReconstructionStats: Codable, Sendable {
    let dimension: Int
    var tokens = 0
    /// Per-dimension mean of x, and Σ_t ‖x_t − mean‖² (Chan's parallel update keeps both exact under merging).
    var mean: [Double]
    var centeredSquares = 0.0
    var squaredError = 0.0, cosineSum = 0.0, normInSum = 0.0, normOutSum = 0.0
    var outSquareSum = 0.0, dotSum = 0.0, ratioSum = 0.0
    var legacySum = 0.0, legacyTokens = 0
    var seedVarianceX = 0.0, seedVarianceResidual = 0.0  // Σ_b var_b · n_b

    init(dimension: Int) {
        self.dimension = dimension
        mean = [Double](repeating: 0, count: dimension)
    }

    mutating func add(x: UnsafeBufferPointer<Float>, xhat: UnsafeBufferPointer<Float>, rows: [Int]) {
        guard !rows.isEmpty else { return }
        let d = dimension, n = Double(rows.count)
        // Pool means of x and of the residual r = x − x̂.
        var poolMean = [Double](repeating: 0, count: d), residualMean = [Double](repeating: 0, count: d)
        for row in rows {
            for j in 0..<d {
                let value = Double(x[row * d + j])
                poolMean[j] += value
                residualMean[j] += value - Double(xhat[row * d + j])
            }
        }
        for j in 0..<d { poolMean[j] /= n; residualMean[j] /= n }

        var poolSquares = 0.0, residualSquares = 0.0  // centred on the pool means
        for row in rows {
            var error = 0.0, centered = 0.0, centeredResidual = 0.0, dot = 0.0, normIn = 0.0, normOut = 0.0
            for j in 0..<d {
                let a = Double(x[row * d + j]), b = Double(xhat[row * d + j])
                let r = a - b
                error += r * r
                centered += (a - poolMean[j]) * (a - poolMean[j])
                centeredResidual += (r - residualMean[j]) * (r - residualMean[j])
                dot += a * b
                normIn += a * a
                normOut += b * b
            }
            poolSquares += centered
            residualSquares += centeredResidual
            squaredError += error
            dotSum += dot
            outSquareSum += normOut
            let lengthIn = normIn.squareRoot(), lengthOut = normOut.squareRoot()
            normInSum += lengthIn
            normOutSum += lengthOut
            cosineSum += lengthIn > 0 && lengthOut > 0 ? dot / (lengthIn * lengthOut) : 0
            ratioSum += lengthOut / (lengthIn < 1e-4 ? 1 : lengthIn)
            if centered > 0 {
                legacySum += 1 - error / centered
                legacyTokens += 1
            }
        }

        // The seed's flattened Bessel variances: Σ(v − v̄)² over all n·d values = centred squares + n·Σ_j (μ_j − v̄)².
        let elements = n * Double(d)
        if elements > 1 {
            seedVarianceX += flattenedSquares(poolSquares, means: poolMean, rows: n) / (elements - 1) * n
            seedVarianceResidual += flattenedSquares(residualSquares, means: residualMean, rows: n) / (elements - 1) * n
        }
        merge(tokens: rows.count, mean: poolMean, centeredSquares: poolSquares)
    }

    private func flattenedSquares(_ centered: Double, means: [Double], rows: Double) -> Double {
        let grand = means.reduce(0, +) / Double(means.count)
        return centered + rows * means.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
    }

    /// Chan et al.: combine (count, mean, M2) of two disjoint sets.
    private mutating func merge(tokens otherTokens: Int, mean otherMean: [Double], centeredSquares otherSquares: Double) {
        let a = Double(tokens), b = Double(otherTokens), total = a + b
        guard otherTokens > 0 else { return }
        var shift = 0.0
        for j in 0..<dimension {
            let delta = otherMean[j] - mean[j]
            shift += delta * delta
            mean[j] += delta * b / total
        }
        centeredSquares += otherSquares + shift * a * b / total
        tokens += otherTokens
    }

    mutating func merge(_ other: ReconstructionStats) {
        merge(tokens: other.tokens, mean: other.mean, centeredSquares: other.centeredSquares)
        squaredError += other.squaredError
        cosineSum += other.cosineSum
        normInSum += other.normInSum
        normOutSum += other.normOutSum
        outSquareSum += other.outSquareSum
        dotSum += other.dotSum
        ratioSum += other.ratioSum
        legacySum += other.legacySum
        legacyTokens += other.legacyTokens
        seedVarianceX += other.seedVarianceX
        seedVarianceResidual += other.seedVarianceResidual
    }

    func metrics() -> ReconstructionMetrics {
        let n = Double(tokens)
        return ReconstructionMetrics(
            nTokens: tokens,
            msePerElement: finite(squaredError / (n * Double(dimension))),
            msePerToken: finite(squaredError / n),
            explainedVariance: finite(1 - squaredError / centeredSquares),
            explainedVarianceLegacy: finite(legacySum / Double(legacyTokens)),
            cosineSimilarity: finite(cosineSum / n),
            relativeReconstructionBias: finite(outSquareSum / dotSum),
            l2Ratio: finite(ratioSum / n),
            l2NormIn: finite(normInSum / n), l2NormOut: finite(normOutSum / n),
            seed: SeedReconstructionMetrics(
                mse: finite(squaredError / (n * Double(dimension))),
                explainedVariance: finite(1 - seedVarianceResidual / seedVarianceX),
                cosineSimilarity: finite(cosineSum / n),
                originalStd: finite((seedVarianceX / n).squareRoot()),
                residualStd: finite((seedVarianceResidual / n).squareRoot())))
    }
}
