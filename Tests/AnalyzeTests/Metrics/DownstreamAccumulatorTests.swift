@testable import Analyze
import Foundation
import Testing
import TestSupport

/// Logits of a chunk of positions under each run, turned into `TokenLosses` by a plain float64 log-softmax: the
/// tests' own reference for the CE and KL that the model's fused LM head computes in production.
struct LogitBatch {
    var clean: [Float], spliced: [Float], zeroAblated: [Float]?, meanAblated: [Float]?
    var targets: [Int32], isFirst: [Bool]

    init(
        clean: [Float], spliced: [Float], zeroAblated: [Float]? = nil, meanAblated: [Float]? = nil,
        targets: [Int32], isFirst: [Bool]
    ) {
        (self.clean, self.spliced, self.zeroAblated, self.meanAblated) = (clean, spliced, zeroAblated, meanAblated)
        (self.targets, self.isFirst) = (targets, isFirst)
    }

    func losses(vocabulary v: Int) -> TokenLosses {
        let n = targets.count
        func logSoftmax(_ logits: [Float], _ p: Int) -> [Double] { ReferenceMath.logSoftmax(logits[(p * v)..<((p + 1) * v)]) }
        func ce(_ logits: [Float]) -> [Double] {
            (0..<n).map { p in targets[p] >= 0 ? -logSoftmax(logits, p)[Int(targets[p])] : .nan }
        }
        func kl(_ logits: [Float]) -> [Double] {
            (0..<n).map { p in
                ReferenceMath.kl(logP: logSoftmax(clean, p), logQ: logSoftmax(logits, p))
            }
        }
        return TokenLosses(
            targets: targets, isFirst: isFirst, ceClean: ce(clean), ceSpliced: ce(spliced),
            ceZero: zeroAblated.map(ce), ceMean: meanAblated.map(ce), klSpliced: kl(spliced),
            klZero: zeroAblated.map(kl), klMean: meanAblated.map(kl),
            uniformZero: zeroAblated.map { z in (0..<n).map { p in Set(z[(p * v)..<((p + 1) * v)]).count == 1 } })
    }
}

extension DownstreamAccumulator {
    mutating func add(_ batch: LogitBatch, endsBatch: Bool = true) {
        add(batch.losses(vocabulary: vocabularySize), endsBatch: endsBatch)
    }
}

@Suite("CE / KL accumulator against numpy")
struct DownstreamAccumulatorTests {
    static func batches() throws -> (vocab: Int, batches: [LogitBatch], golden: [String: Any]) {
        let golden = try SAEFixtures.golden()["downstream"] as! [String: Any]
        let vocab = golden["vocab"] as! Int
        let batches = (golden["batches"] as! [[String: Any]]).map { batch in
            let targets = (batch["targets"] as! [Int]).map(Int32.init)
            let clean = (batch["clean"] as! [Double]).map(Float.init)
            return LogitBatch(
                clean: clean, spliced: (batch["sae"] as! [Double]).map(Float.init),
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
            for (x, y) in [
                (a.ceSpliced, b.ceSpliced), (a.klSpliced, b.klSpliced), (a.lossRecoveredMean, b.lossRecoveredMean),
                (a.seed.lossRecovered, b.seed.lossRecovered),
            ] {
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
                return LogitBatch(
                    clean: slice(batch.clean)!, spliced: slice(batch.spliced)!, zeroAblated: slice(batch.zeroAblated),
                    meanAblated: slice(batch.meanAblated), targets: Array(batch.targets[rows]),
                    isFirst: Array(batch.isFirst[rows]))
            }
            chunked.add(part(0..<split), endsBatch: false)
            chunked.add(part(split..<batch.targets.count))
        }
        for variant in TokenVariant.allCases {
            let a = chunked.result.metrics[variant], b = whole.result.metrics[variant]
            #expect(a.seed.nBatches == b.seed.nBatches && a.nTargets == b.nTargets)
            for (x, y) in [
                (a.seed.baselineLoss, b.seed.baselineLoss), (a.seed.lossRecovered, b.seed.lossRecovered),
                (a.ceSpliced, b.ceSpliced), (a.klMeanAblated, b.klMeanAblated),
            ] {
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
        accumulator.add(
            LogitBatch(
                clean: [2, 0, -1, 0, 1, 0, 1, 1, 1], spliced: [1.5, 0.2, -1, 0, 0.5, 0.5, 1, 0, 1],
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
        clean[vocab + 7] += 12  // both targets likely, so the baseline beats the uniform guess
        var accumulator = DownstreamAccumulator(vocabularySize: vocab)
        accumulator.add(
            LogitBatch(
                clean: clean, spliced: clean, zeroAblated: [Float](repeating: 0, count: 2 * vocab),
                targets: [5, 7], isFirst: [true, false]))
        let m = accumulator.result.metrics.allTokens
        #expect(isClose(m.ceZeroAblated, log(Double(vocab)), relative: 1e-6))
        #expect(abs(m.klSpliced!) < 1e-6 && m.deltaCE == 0)
        #expect(m.lossRecoveredZero == 1)
    }

    @Test("standard errors clustered by sequence equal the textbook formula, in any chunking and merged")
    func clusteredStandardErrors() {
        // Random logits for 7 sequences of 1–9 positions in 3 batches; vocab 11.
        var random = SplitMix64(seed: 7)
        func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        let vocab = 11
        let lengths = [5, 1, 9, 3, 7, 2, 6]
        var batches: [LogitBatch] = []
        var perToken: [(sequence: Int, delta: Double?, kl: Double, a: Double?, c: Double?)] = []
        for group in [[0, 1, 2], [3, 4], [5, 6]] {
            var clean: [Float] = [], spliced: [Float] = [], mean: [Float] = [], targets: [Int32] = [], isFirst: [Bool] = []
            for sequence in group {
                for position in 0..<lengths[sequence] {
                    let c = (0..<vocab).map { _ in Float(uniform() * 6 - 3) }
                    clean += c
                    spliced += c.map { $0 + Float(uniform() - 0.5) }
                    mean += c.map { $0 * 0.1 + Float(uniform()) }
                    // Mostly the clean run's favourite, so that CE_baseline < CE_mean and loss recovered exists.
                    let favourite = c.indices.max { c[$0] < c[$1] }!
                    let guess = uniform() < 0.7 ? favourite : Int(random.next() % UInt64(vocab))
                    let target: Int32 = position + 1 < lengths[sequence] ? Int32(guess) : -1
                    targets.append(target)
                    isFirst.append(position == 0)
                    let p = ReferenceMath.logSoftmax(c[...]), q = ReferenceMath.logSoftmax(spliced[(spliced.count - vocab)...])
                    let r = ReferenceMath.logSoftmax(mean[(mean.count - vocab)...])
                    let kl = ReferenceMath.kl(logP: p, logQ: q)
                    if target >= 0 {
                        let t = Int(target)
                        perToken.append((sequence, -q[t] + p[t], kl, -r[t] + q[t], -r[t] + p[t]))
                    } else {
                        perToken.append((sequence, nil, kl, nil, nil))
                    }
                }
            }
            batches.append(LogitBatch(clean: clean, spliced: spliced, meanAblated: mean, targets: targets, isFirst: isFirst))
        }
        // The textbook cluster-robust formulas, from the per-token values.
        let g = Double(lengths.count)
        func clusteredMean(_ values: [(Int, Double)]) -> (mean: Double, se: Double) {
            let mean = values.map(\.1).reduce(0, +) / Double(values.count)
            var residuals = [Double](repeating: 0, count: lengths.count)
            for (sequence, value) in values { residuals[sequence] += value - mean }
            return (mean, (g / (g - 1) * residuals.reduce(0) { $0 + $1 * $1 }).squareRoot() / Double(values.count))
        }
        let delta = clusteredMean(perToken.compactMap { t in t.delta.map { (t.sequence, $0) } })
        let kl = clusteredMean(perToken.map { ($0.sequence, $0.kl) })
        let a = perToken.compactMap(\.a), c = perToken.compactMap(\.c)
        let ratio = a.reduce(0, +) / c.reduce(0, +)
        var residuals = [Double](repeating: 0, count: lengths.count)
        for t in perToken where t.a != nil { residuals[t.sequence] += t.a! - ratio * t.c! }
        let ratioSE = (g / (g - 1) * residuals.reduce(0) { $0 + $1 * $1 }).squareRoot() / abs(c.reduce(0, +))

        func check(_ accumulator: DownstreamAccumulator, _ what: String) {
            let m = accumulator.result.metrics.allTokens, e = m.standardErrors
            #expect(e.nSequences == lengths.count, "\(what)")
            #expect(
                isClose(m.deltaCE, delta.mean) && isClose(m.klSpliced, kl.mean) && isClose(m.lossRecoveredMean, ratio),
                "\(what): \(m.lossRecoveredMean ?? .nan) vs \(ratio), \(m.ceMeanAblated ?? .nan) \(m.ceBaseline ?? .nan)")
            #expect(isClose(e.deltaCE, delta.se) && isClose(e.klSpliced, kl.se) && isClose(e.lossRecoveredMean, ratioSE), "\(what)")
            #expect(e.lossRecoveredZero == nil)
            #expect(accumulator.result.metrics.withoutFirstToken.standardErrors.nSequences == lengths.count - 1, "\(what)")
        }
        var whole = DownstreamAccumulator(vocabularySize: vocab)
        for batch in batches { whole.add(batch) }
        check(whole, "whole batches")
        var chunked = DownstreamAccumulator(vocabularySize: vocab)
        for batch in batches {
            let n = batch.targets.count
            for start in stride(from: 0, to: n, by: 4) {
                let rows = start..<min(start + 4, n)
                func slice(_ v: [Float]?) -> [Float]? { v.map { Array($0[(rows.lowerBound * vocab)..<(rows.upperBound * vocab)]) } }
                chunked.add(
                    LogitBatch(
                        clean: slice(batch.clean)!, spliced: slice(batch.spliced)!,
                        meanAblated: slice(batch.meanAblated), targets: Array(batch.targets[rows]),
                        isFirst: Array(batch.isFirst[rows])), endsBatch: rows.upperBound == n)
            }
        }
        check(chunked, "chunks of 4 positions")
        var first = DownstreamAccumulator(vocabularySize: vocab), rest = DownstreamAccumulator(vocabularySize: vocab)
        first.add(batches[0])
        for batch in batches.dropFirst() { rest.add(batch) }
        check(first.merged(with: rest), "merged")
    }
}
