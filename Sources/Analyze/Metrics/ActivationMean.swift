/// The per-dimension mean of activations, accumulated in Float64 and mergeable: the μ that mean ablation writes into
/// the hook, estimated on the calibration sample (`Calibration`).
public struct ActivationMean: Sendable, Equatable {
    public let dimension: Int
    /// Rows added so far.
    public private(set) var count = 0
    private var sum: [Double]

    public init(dimension: Int) {
        self.dimension = dimension
        sum = [Double](repeating: 0, count: dimension)
    }

    /// Adds `rows` activations, row-major `[rows, dimension]`.
    public mutating func add(_ x: [Float], rows: Int) {
        precondition(x.count == rows * dimension)
        for row in 0..<rows { for j in 0..<dimension { sum[j] += Double(x[row * dimension + j]) } }
        count += rows
    }

    /// The mean over this accumulator's rows and `other`'s.
    public func merged(with other: ActivationMean) -> ActivationMean {
        precondition(other.dimension == dimension)
        var result = self
        for j in 0..<dimension { result.sum[j] += other.sum[j] }
        result.count += other.count
        return result
    }

    /// μ, `[dimension]` (zeros before any row is added).
    public var mean: [Float] { sum.map { count == 0 ? 0 : Float($0 / Double(count)) } }
}
