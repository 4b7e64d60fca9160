/// Per-feature firing statistics accumulated one token row at a time: how often each feature fired, the sum of its
/// activations (for the mean over active tokens, the seed's `mean_activation`), the sums of their squares, cubes
/// and fourth powers (for the zero-centred moments over all tokens), and its smallest and largest value.
public struct FeatureStatistics: Sendable {
    public let dSae: Int
    /// Tokens seen so far.
    public private(set) var tokenCount = 0
    /// Tokens on which each feature fired (activation ≠ 0).
    public private(set) var counts: [Int]
    /// Sum of each feature's activations, in Double so long corpora do not lose the small ones.
    public private(set) var sums: [Double]
    /// Sums of the activations' 2nd, 3rd and 4th powers (Double, like `sums`); tokens where the feature did not
    /// fire add 0, so over `tokenCount` they give moments over all tokens.
    public private(set) var squareSums: [Double]
    public private(set) var cubeSums: [Double]
    public private(set) var fourthPowerSums: [Double]
    /// Largest activation per feature (0 when it never fired).
    public private(set) var maxima: [Float]
    /// Smallest nonzero activation per feature (0 when it never fired).
    public private(set) var minima: [Float]

    public init(dSae: Int) {
        self.dSae = dSae
        counts = Array(repeating: 0, count: dSae)
        sums = Array(repeating: 0, count: dSae)
        squareSums = Array(repeating: 0, count: dSae)
        cubeSums = Array(repeating: 0, count: dSae)
        fourthPowerSums = Array(repeating: 0, count: dSae)
        maxima = Array(repeating: 0, count: dSae)
        minima = Array(repeating: .infinity, count: dSae)
    }

    /// Adds one token's positive activations.
    public mutating func add(features: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>) {
        tokenCount += 1
        for (feature, value) in zip(features, values) where value > 0 {
            let f = Int(feature)
            counts[f] += 1
            let a = Double(value), a2 = a * a
            sums[f] += a
            squareSums[f] += a2
            cubeSums[f] += a2 * a
            fourthPowerSums[f] += a2 * a2
            if value > maxima[f] || counts[f] == 1 { maxima[f] = value }
            if value < minima[f] { minima[f] = value }
        }
    }

    /// Adds every row of an activation database.
    public mutating func add(_ database: ActivationDatabase) {
        database.forEachRow { _, features, values in add(features: features, values: values) }
    }

    /// The mean activation over the tokens where the feature fired (0 when it never fired), as the seed defines it.
    public func meanActivation(_ feature: Int) -> Double {
        counts[feature] > 0 ? sums[feature] / Double(counts[feature]) : 0
    }

    /// The fraction of tokens on which the feature fired.
    public func frequency(_ feature: Int) -> Double {
        tokenCount > 0 ? Double(counts[feature]) / Double(tokenCount) : 0
    }

    /// The feature's moments over all tokens (zeros included).
    public func moments(_ feature: Int) -> FeatureMoments {
        FeatureMoments(
            tokens: tokenCount, active: counts[feature], sum: sums[feature], squareSum: squareSums[feature],
            cubeSum: cubeSums[feature], fourthPowerSum: fourthPowerSums[feature])
    }

    /// The smallest nonzero activation, or 0 when the feature never fired.
    public func minimum(_ feature: Int) -> Float { counts[feature] > 0 ? minima[feature] : 0 }

    /// The `n` features that fired most often, most first (ties by id).
    public func mostActive(_ n: Int) -> [Int] {
        Array((0..<dSae).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.prefix(n))
    }
}
