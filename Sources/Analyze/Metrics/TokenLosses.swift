import Foundation
import LMRuntime

/// The next-token losses of a chunk of positions under each run of the ablation study: what
/// `DownstreamAccumulator` aggregates. CE is NaN where a position has no target (the last of its sequence).
public struct TokenLosses: Sendable {
    /// The next token of each position, or -1.
    public var targets: [Int32]
    /// Whether each position is the first of its text or window.
    public var isFirst: [Bool]
    public var ceClean: [Double], ceSpliced: [Double]
    public var ceZero: [Double]?, ceMean: [Double]?
    /// KL(p_clean ‖ p_run) of every position.
    public var klSpliced: [Double]
    public var klZero: [Double]?, klMean: [Double]?
    /// Whether each zero-ablated position predicted the uniform distribution (all logits equal).
    public var uniformZero: [Bool]?
    /// Whether each position counts (nil: all do); left-out positions are in no average.
    public var included: [Bool]? {
        didSet { precondition(included == nil || included!.count == targets.count) }
    }
    /// The seed's ablation batch of each position (nil: the accumulator's `add` calls are the batches).
    public var seedBatch: [Int]? {
        didSet { precondition(seedBatch == nil || seedBatch!.count == targets.count) }
    }

    public init(
        targets: [Int32], isFirst: [Bool], ceClean: [Double], ceSpliced: [Double], ceZero: [Double]? = nil,
        ceMean: [Double]? = nil, klSpliced: [Double], klZero: [Double]? = nil, klMean: [Double]? = nil,
        uniformZero: [Bool]? = nil
    ) {
        let n = targets.count
        precondition([isFirst.count, ceClean.count, ceSpliced.count, klSpliced.count].allSatisfy { $0 == n })
        precondition([ceZero, ceMean, klZero, klMean].allSatisfy { $0 == nil || $0!.count == n })
        (self.targets, self.isFirst, self.ceClean, self.ceSpliced) = (targets, isFirst, ceClean, ceSpliced)
        (self.ceZero, self.ceMean, self.klSpliced, self.klZero, self.klMean) = (ceZero, ceMean, klSpliced, klZero, klMean)
        self.uniformZero = uniformZero
    }

    /// Where the zero-ablated run is among the model's runs.
    public enum ZeroRun: Sendable {
        /// Run `index` of the statistics.
        case run(Int)
        /// Not run: its logits are all zero (a bias-free model), so it predicts the uniform distribution,
        /// CE = ln vocab and KL = KL(p_clean ‖ uniform).
        case uniform(vocabularySize: Int)
    }

    /// The losses in `statistics`, whose run 0 is the clean model and run `spliced` the SAE splice.
    public init(_ statistics: NextTokenStatistics, isFirst: [Bool], spliced: Int, zero: ZeroRun?, mean: Int?) {
        let hasTarget = statistics.targets.map { $0 >= 0 }
        var ceZero: [Double]?, klZero: [Double]?, uniformZero: [Bool]?
        switch zero {
        case .run(let index)?:
            (ceZero, klZero, uniformZero) = (
                statistics.loss[index], statistics.klDivergence[index - 1],
                [Bool](repeating: false, count: hasTarget.count)
            )
        case .uniform(let vocabularySize)?:
            let uniform = Foundation.log(Double(vocabularySize))
            (ceZero, klZero, uniformZero) = (
                hasTarget.map { $0 ? uniform : .nan }, statistics.klToUniform,
                [Bool](repeating: true, count: hasTarget.count)
            )
        case nil:
            break
        }
        self.init(
            targets: statistics.targets, isFirst: isFirst, ceClean: statistics.loss[0],
            ceSpliced: statistics.loss[spliced], ceZero: ceZero, ceMean: mean.map { statistics.loss[$0] },
            klSpliced: statistics.klDivergence[spliced - 1], klZero: klZero,
            klMean: mean.map { statistics.klDivergence[$0 - 1] }, uniformZero: uniformZero)
    }
}
