import SAECore
/// Streaming sparsity statistics of SAE codes: L0 and L1 per token, per-feature firing counts (dead and dense
/// features). Float64 sums; `merged(with:)` gives exactly what one accumulator over all the data gives.
public struct SparsityAccumulator: Codable, Sendable {
    /// `d_sae`.
    public let dSae: Int
    /// The SAE's training-time `ever_fired` buffer (the seed's "training" view of dead features), when it has one.
    public let trainingEverFired: [Bool]?
    private var stats: ByFirstToken<SparsityStats>

    public init(dSae: Int, trainingEverFired: [Bool]? = nil) {
        precondition(trainingEverFired == nil || trainingEverFired!.count == dSae)
        self.dSae = dSae
        self.trainingEverFired = trainingEverFired
        let empty = SparsityStats(dSae: dSae)
        stats = ByFirstToken(allTokens: empty, withoutFirstToken: empty)
    }

    /// Adds a batch of codes; `isFirst[t]` marks the first token of a text or window.
    public mutating func add(_ codes: SparseCodes, isFirst: [Bool]) {
        precondition(codes.dSae == dSae && isFirst.count == codes.rowCount)
        for row in 0..<codes.rowCount {
            let range = codes.range(ofRow: row)
            var l1 = 0.0
            for index in range { l1 += Double(abs(codes.values[index])) }
            stats.allTokens.add(features: codes.features[range], l0: range.count, l1: l1)
            if !isFirst[row] { stats.withoutFirstToken.add(features: codes.features[range], l0: range.count, l1: l1) }
        }
    }

    /// The statistics of this accumulator's data and `other`'s together.
    public func merged(with other: SparsityAccumulator) -> SparsityAccumulator {
        precondition(other.dSae == dSae)
        var result = self
        result.stats.allTokens.merge(other.stats.allTokens)
        result.stats.withoutFirstToken.merge(other.stats.withoutFirstToken)
        return result
    }

    /// The metrics so far.
    public var result: SparsityResult {
        SparsityResult(
            metrics: stats.map { $0.metrics() },
            trainingDeadFeatureIds: trainingEverFired.map { fired in fired.indices.filter { !fired[$0] } })
    }
}

/// Sparsity metrics of one token variant.
public struct SparsityMetrics: Codable, Equatable, Sendable {
    public var nTokens: Int
    /// Mean and population std over tokens of the number of active features.
    public var l0Mean: Double?, l0Std: Double?
    /// Mean and population std over tokens of Σ|f| (as the seed; the codes are non-negative, so also SAELens's Σf).
    public var l1Mean: Double?, l1Std: Double?
    /// Tokens on which each feature fired (f > 0 stored), `[d_sae]`.
    public var activationCounts: [Int]
    /// Features that never fired on these tokens.
    public var deadFeatureIds: [Int]
    /// Features firing on more than 10 % / 1 % of these tokens (SAEBench `freq_over_10_percent` / `_1_percent`).
    public var denseAbove10Percent: [Int], denseAbove1Percent: [Int]
    /// Fraction of features that fired at least once.
    public var fractionAlive: Double
    /// `l0Distribution[n]` = tokens with exactly `n` active features (trailing zeros trimmed).
    public var l0Distribution: [Int]

    enum CodingKeys: String, CodingKey {
        case nTokens = "n_tokens"
        case l0Mean = "l0_mean"
        case l0Std = "l0_std"
        case l1Mean = "l1_mean"
        case l1Std = "l1_std"
        case activationCounts = "activation_counts"
        case deadFeatureIds = "dead_feature_ids"
        case denseAbove10Percent = "dense_above_10pct"
        case denseAbove1Percent = "dense_above_1pct"
        case fractionAlive = "fraction_alive"
        case l0Distribution = "l0_distribution"
    }

    /// Each feature's firing frequency, count / tokens.
    public var frequencies: [Double] {
        activationCounts.map { nTokens == 0 ? 0 : Double($0) / Double(nTokens) }
    }
}

/// Both token variants, plus the training-time view of dead features.
public struct SparsityResult: Codable, Equatable, Sendable {
    public var metrics: ByFirstToken<SparsityMetrics>
    /// Features whose training-time `ever_fired` is false (the seed's `use_training_metric=True` dead count);
    /// nil when the SAE has no such buffer.
    public var trainingDeadFeatureIds: [Int]?

    enum CodingKeys: String, CodingKey {
        case metrics
        case trainingDeadFeatureIds = "training_dead_feature_ids"
    }
}

/// Sums for one token variant.
struct SparsityStats: Codable, Sendable {
    var tokens = 0
    var l0Sum = 0.0, l0SquareSum = 0.0, l1Sum = 0.0, l1SquareSum = 0.0
    var counts: [Int]
    var l0Distribution: [Int]

    init(dSae: Int) {
        counts = [Int](repeating: 0, count: dSae)
        l0Distribution = [Int](repeating: 0, count: dSae + 1)
    }

    mutating func add(features: ArraySlice<Int32>, l0: Int, l1: Double) {
        tokens += 1
        l0Sum += Double(l0)
        l0SquareSum += Double(l0) * Double(l0)
        l1Sum += l1
        l1SquareSum += l1 * l1
        l0Distribution[l0] += 1
        for feature in features { counts[Int(feature)] += 1 }
    }

    mutating func merge(_ other: SparsityStats) {
        tokens += other.tokens
        l0Sum += other.l0Sum
        l0SquareSum += other.l0SquareSum
        l1Sum += other.l1Sum
        l1SquareSum += other.l1SquareSum
        for i in counts.indices { counts[i] += other.counts[i] }
        for i in l0Distribution.indices { l0Distribution[i] += other.l0Distribution[i] }
    }

    func metrics() -> SparsityMetrics {
        let n = Double(tokens)
        let l0Mean = l0Sum / n, l1Mean = l1Sum / n
        // Population std from running sums, clamped at 0 like the seed (rounding can make the difference negative).
        let l0Std = (max(0, l0SquareSum / n - l0Mean * l0Mean)).squareRoot()
        let l1Std = (max(0, l1SquareSum / n - l1Mean * l1Mean)).squareRoot()
        let alive = counts.filter { $0 > 0 }.count
        var distribution = l0Distribution
        while let last = distribution.last, last == 0 { distribution.removeLast() }
        return SparsityMetrics(
            nTokens: tokens, l0Mean: finite(l0Mean), l0Std: finite(l0Std), l1Mean: finite(l1Mean), l1Std: finite(l1Std),
            activationCounts: counts, deadFeatureIds: counts.indices.filter { counts[$0] == 0 },
            denseAbove10Percent: counts.indices.filter { tokens > 0 && Double(counts[$0]) / n > 0.1 },
            denseAbove1Percent: counts.indices.filter { tokens > 0 && Double(counts[$0]) / n > 0.01 },
            fractionAlive: counts.isEmpty ? 0 : Double(alive) / Double(counts.count),
            l0Distribution: distribution)
    }
}
