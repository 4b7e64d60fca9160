import Foundation
import Testing
@testable import Analyze

@Suite("CE / KL accumulator against numpy")
struct DownstreamAccumulatorTests {
    static func batches() throws -> (vocab: Int, batches: [LogitBatch], golden: [String: Any]) {
        let golden = try SAEFixtures.golden()["downstream"] as! [String: Any]
        let vocab = golden["vocab"] as! Int
        let batches = (golden["batches"] as! [[String: Any]]).map { batch in
            let targets = (batch["targets"] as! [Int]).map(Int32.init)
            let clean = (batch["clean"] as! [Double]).map(Float.init)
            return LogitBatch(clean: clean, spliced: (batch["sae"] as! [Double]).map(Float.init),
                              zeroAblated: [Float](repeating: 0, count: clean.count),
                              meanAblated: (batch["mean"] as! [Double]).map(Float.init),
                              targets: targets, isFirst: batch["is_first"] as! [Bool])
        }
        return (vocab, batches, golden)
    }

    @Test("token-weighted CE, KL, loss recovered and the seed's batch means, both variants")
    func matchesReference() throws {
        let (vocab, batches, golden) = try Self.batches()
        var accumulator = DownstreamAccumulator(vocabularySize: vocab)
        for batch in batches { accumulator.add(batch) }
        let result = accumulator.result
        #expect(result.zeroAblationDegenerate)
        #expect(result.notes.contains { $0.contains("zero ablation is degenerate") })
        for variant in TokenVariant.allCases {
            let g = golden[variant.rawValue] as! [String: Any], m = result.metrics[variant]
            #expect(m.nTargets == g["n_targets"] as! Int && m.nPositions == g["n_positions"] as! Int)
            #expect(m.seed.nBatches == g["seed_n_batches"] as! Int)
            let pairs: [(String, Double?)] = [
                ("ce_baseline", m.ceBaseline), ("ce_spliced", m.ceSpliced), ("ce_zero_ablated", m.ceZeroAblated),
                ("ce_mean_ablated", m.ceMeanAblated), ("delta_ce", m.deltaCE),
                ("loss_recovered_zero", m.lossRecoveredZero), ("loss_recovered_mean", m.lossRecoveredMean),
                ("kl_spliced", m.klSpliced), ("kl_zero_ablated", m.klZeroAblated), ("kl_mean_ablated", m.klMeanAblated),
                ("seed_baseline_loss", m.seed.baselineLoss), ("seed_sae_loss", m.seed.saeReconstructionLoss),
                ("seed_zero_ablation_loss", m.seed.zeroAblationLoss), ("seed_loss_recovered", m.seed.lossRecovered),
            ]
            for (key, value) in pairs {
                #expect(isClose(value, g[key] as! Double), "\(variant) \(key): \(value ?? .nan) vs \(g[key]!)")
            }
        }
        // Zero ablation of a bias-free model: CE = ln(vocab) exactly.
        #expect(isClose(result.metrics.allTokens.ceZeroAblated, log(Double(vocab)), relative: 1e-6))
    }

    @Test("merged accumulators equal one accumulator over all batches")
    func merging() throws {
        let (vocab, batches, _) = try Self.batches()
        var all = DownstreamAccumulator(vocabularySize: vocab), first = all, second = all
        for batch in batches { all.add(batch) }
        first.add(batches[0])
        for batch in batches.dropFirst() { second.add(batch) }
        let merged = first.merged(with: second).result.metrics, single = all.result.metrics
        for variant in TokenVariant.allCases {
            let a = merged[variant], b = single[variant]
            #expect(a.nTargets == b.nTargets && a.seed.nBatches == b.seed.nBatches)
            for (x, y) in [(a.ceSpliced, b.ceSpliced), (a.klSpliced, b.klSpliced), (a.lossRecoveredMean, b.lossRecoveredMean),
                           (a.seed.lossRecovered, b.seed.lossRecovered)] {
                #expect(isClose(x, y!, relative: 1e-12, absolute: 1e-12))
            }
        }
    }

    @Test("a batch fed in chunks gives the same seed batch means as the whole batch")
    func chunks() throws {
        let (vocab, batches, _) = try Self.batches()
        var whole = DownstreamAccumulator(vocabularySize: vocab), chunked = whole
        for batch in batches {
            whole.add(batch)
            let split = batch.targets.count / 2
            func part(_ rows: Range<Int>) -> LogitBatch {
                func slice(_ values: [Float]?) -> [Float]? { values.map { Array($0[(rows.lowerBound * vocab)..<(rows.upperBound * vocab)]) } }
                return LogitBatch(clean: slice(batch.clean)!, spliced: slice(batch.spliced)!, zeroAblated: slice(batch.zeroAblated),
                                  meanAblated: slice(batch.meanAblated), targets: Array(batch.targets[rows]),
                                  isFirst: Array(batch.isFirst[rows]))
            }
            chunked.add(part(0..<split), endsBatch: false)
            chunked.add(part(split..<batch.targets.count))
        }
        for variant in TokenVariant.allCases {
            let a = chunked.result.metrics[variant], b = whole.result.metrics[variant]
            #expect(a.seed.nBatches == b.seed.nBatches && a.nTargets == b.nTargets)
            for (x, y) in [(a.seed.baselineLoss, b.seed.baselineLoss), (a.seed.lossRecovered, b.seed.lossRecovered),
                           (a.ceSpliced, b.ceSpliced), (a.klMeanAblated, b.klMeanAblated)] {
                #expect(isClose(x, y!, relative: 1e-12, absolute: 1e-12))
            }
        }
        // An open batch counts as finished in the result, and once in a merge.
        var open = DownstreamAccumulator(vocabularySize: vocab)
        open.add(batches[0], endsBatch: false)
        #expect(open.result.metrics.allTokens.seed.nBatches == 1)
        #expect(open.merged(with: open).result.metrics.allTokens.seed.nBatches == 2)
    }

    @Test("the golden vector of metrics_formats.md §6 (one sequence, vocab 3)")
    func referenceVector() {
        var accumulator = DownstreamAccumulator(vocabularySize: 3)
        accumulator.add(LogitBatch(clean: [2, 0, -1, 0, 1, 0, 1, 1, 1], spliced: [1.5, 0.2, -1, 0, 0.5, 0.5, 1, 0, 1],
                                   zeroAblated: [Float](repeating: 0, count: 9), targets: [0, 1, -1], isFirst: [true, false, false]))
        let m = accumulator.result.metrics.allTokens
        #expect(isClose(m.ceBaseline, 0.3606454) && isClose(m.ceSpliced, 0.6307693) && isClose(m.ceZeroAblated, 1.0986123))
        #expect(isClose(m.lossRecoveredZero, 0.6339619))
        #expect(isClose(m.klSpliced, 0.0727033) && isClose(m.klZeroAblated, 0.2325434))
        #expect(m.ceMeanAblated == nil && m.lossRecoveredMean == nil)
    }

    @Test("a large vocabulary: CE of uniform logits is ln V and KL of identical runs is 0")
    func largeVocabulary() {
        let vocab = 151_936
        var clean = [Float](repeating: 0, count: 2 * vocab)
        for i in 0..<clean.count { clean[i] = Float(sin(Double(i) * 0.37) * 4) }
        clean[5] += 12
        clean[vocab + 7] += 12   // both targets likely, so the baseline beats the uniform guess
        var accumulator = DownstreamAccumulator(vocabularySize: vocab)
        accumulator.add(LogitBatch(clean: clean, spliced: clean, zeroAblated: [Float](repeating: 0, count: 2 * vocab),
                                   targets: [5, 7], isFirst: [true, false]))
        let m = accumulator.result.metrics.allTokens
        #expect(isClose(m.ceZeroAblated, log(Double(vocab)), relative: 1e-6))
        #expect(abs(m.klSpliced!) < 1e-6 && m.deltaCE == 0)
        #expect(m.lossRecoveredZero == 1)
    }
}
