@testable import Analyze
import Foundation
@testable import SAECore
import Testing
import TestSupport

@Suite("Metric accumulators against numpy")
struct MetricAccumulatorTests {
    /// Feeds one case's codes and reconstructions pool by pool.
    static func accumulate(_ encoded: EncodedCase, pools: [Range<Int>]? = nil) throws
        -> (SparsityAccumulator, ReconstructionAccumulator)
    {
        let (x, _) = try SAEFixtures.activations()
        let tokens = try SAEFixtures.tokens()
        let d = encoded.sae.dIn
        var sparsity = SparsityAccumulator(dSae: encoded.sae.dSae, trainingEverFired: encoded.sae.everFired)
        var reconstruction = ReconstructionAccumulator(dimension: d)
        for pool in pools ?? tokens.pools {
            let codes = encoded.codes
            var poolCodes = SparseCodes(dSae: codes.dSae)
            for row in pool {
                let range = codes.range(ofRow: row)
                poolCodes.features += codes.features[range]
                poolCodes.values += codes.values[range]
                poolCodes.rowStarts.append(poolCodes.features.count)
            }
            let flags = Array(tokens.isFirst[pool])
            sparsity.add(poolCodes, isFirst: flags)
            reconstruction.add(
                original: rows(x, pool, width: d), reconstruction: rows(encoded.reconstruction, pool, width: d),
                isFirst: flags)
        }
        return (sparsity, reconstruction)
    }

    @Test("sparsity and reconstruction metrics, both token variants", arguments: EncodedCase.names)
    func matchesReference(name: String) throws {
        let golden = try #require((try SAEFixtures.golden()["cases"] as? [String: Any])?[name] as? [String: Any])
        let encoded = try EncodedCase(name)
        let (sparsity, reconstruction) = try Self.accumulate(encoded)
        let sparsityResult = sparsity.result, reconstructionResult = reconstruction.result

        for variant in TokenVariant.allCases {
            let s = (golden["sparsity"] as! [String: Any])[variant.rawValue] as! [String: Any]
            let ours = sparsityResult.metrics[variant]
            #expect(ours.nTokens == s["n_tokens"] as! Int)
            for (key, value) in [("l0_mean", ours.l0Mean), ("l0_std", ours.l0Std), ("l1_mean", ours.l1Mean), ("l1_std", ours.l1Std)] {
                #expect(isClose(value, s[key] as! Double), "\(variant) \(key): \(value ?? .nan) vs \(s[key]!)")
            }
            #expect(ours.activationCounts == s["activation_counts"] as! [Int])
            #expect(ours.deadFeatureIds == s["dead_feature_ids"] as! [Int])
            #expect(ours.denseAbove10Percent == s["dense_above_10pct"] as! [Int])
            #expect(ours.denseAbove1Percent == s["dense_above_1pct"] as! [Int])

            let r = (golden["reconstruction"] as! [String: Any])[variant.rawValue] as! [String: Any]
            let m = reconstructionResult[variant]
            #expect(m.nTokens == r["n_tokens"] as! Int)
            let pairs: [(String, Double?)] = [
                ("mse_per_element", m.msePerElement), ("mse_per_token", m.msePerToken),
                ("explained_variance", m.explainedVariance), ("explained_variance_legacy", m.explainedVarianceLegacy),
                ("cosine_similarity", m.cosineSimilarity), ("relative_reconstruction_bias", m.relativeReconstructionBias),
                ("l2_ratio", m.l2Ratio), ("l2_norm_in", m.l2NormIn), ("l2_norm_out", m.l2NormOut),
                ("seed_mse", m.seed.mse), ("seed_explained_variance", m.seed.explainedVariance),
                ("seed_cosine_similarity", m.seed.cosineSimilarity), ("seed_original_std", m.seed.originalStd),
                ("seed_residual_std", m.seed.residualStd),
            ]
            for (key, value) in pairs {
                #expect(isClose(value, r[key] as! Double), "\(variant) \(key): \(value ?? .nan) vs \(r[key]!)")
            }
        }
        let trainingDead = (try SAEFixtures.golden()["training_dead"] as! [String: [Int]])[String(name.split(separator: "/")[0])]
        #expect(sparsityResult.trainingDeadFeatureIds == trainingDead)
    }

    @Test("merged accumulators equal one accumulator over all the data")
    func merging() throws {
        let encoded = try EncodedCase("seed-sae-btopk8-l2/batch")
        let pools = try SAEFixtures.tokens().pools
        let (allSparsity, allReconstruction) = try Self.accumulate(encoded)
        let (s1, r1) = try Self.accumulate(encoded, pools: Array(pools[..<3]))
        let (s2, r2) = try Self.accumulate(encoded, pools: Array(pools[3...]))
        // Counts are exact; float sums may differ in the last bits (another addition order).
        let mergedSparsity = s1.merged(with: s2).result, singleSparsity = allSparsity.result
        #expect(mergedSparsity.trainingDeadFeatureIds == singleSparsity.trainingDeadFeatureIds)
        for variant in TokenVariant.allCases {
            var a = mergedSparsity.metrics[variant], b = singleSparsity.metrics[variant]
            for (x, y) in [(a.l0Mean, b.l0Mean), (a.l0Std, b.l0Std), (a.l1Mean, b.l1Mean), (a.l1Std, b.l1Std)] {
                #expect(isClose(x, y!, relative: 1e-12, absolute: 1e-12))
            }
            (a.l0Mean, a.l0Std, a.l1Mean, a.l1Std) = (nil, nil, nil, nil)
            (b.l0Mean, b.l0Std, b.l1Mean, b.l1Std) = (nil, nil, nil, nil)
            #expect(a == b)
        }
        let merged = r1.merged(with: r2).result, single = allReconstruction.result
        for variant in TokenVariant.allCases {
            let a = merged[variant], b = single[variant]
            #expect(a.nTokens == b.nTokens)
            let pairs: [(Double?, Double?)] = [
                (a.explainedVariance, b.explainedVariance), (a.msePerToken, b.msePerToken),
                (a.explainedVarianceLegacy, b.explainedVarianceLegacy),
                (a.seed.explainedVariance, b.seed.explainedVariance),
                (a.cosineSimilarity, b.cosineSimilarity), (a.l2Ratio, b.l2Ratio),
            ]
            for (x, y) in pairs { #expect(isClose(x, y!, relative: 1e-12, absolute: 1e-12)) }
        }
        // Merging with an empty accumulator changes nothing.
        #expect(
            allSparsity.merged(with: SparsityAccumulator(dSae: 256, trainingEverFired: encoded.sae.everFired)).result
                == singleSparsity)
        #expect(allReconstruction.merged(with: ReconstructionAccumulator(dimension: 64)).result == single)
    }

    @Test("the golden vector of metrics_formats.md §6")
    func referenceVector() {
        let x: [Float] = [2, 0, 1, 0, 4, 1, 1, 1, 1, 3, 1, 1]
        let xhat: [Float] = [2, 1, 1, 0, 3, 1, 1, 1, 0.5, 2.5, 1, 1]
        var accumulator = ReconstructionAccumulator(dimension: 3)
        accumulator.add(original: x, reconstruction: xhat, isFirst: [false, false, false, false])
        let m = accumulator.result.allTokens
        #expect(isClose(m.msePerToken, 0.625) && isClose(m.msePerElement, 0.208333))
        #expect(isClose(m.explainedVariance, 0.8214286) && isClose(m.explainedVarianceLegacy, 0.7205882))
        #expect(isClose(m.cosineSimilarity, 0.967354) && isClose(m.l2Ratio, 0.898615))
        #expect(isClose(m.relativeReconstructionBias, 0.883333))

        let codes = SparseCodes(dense: [0, 1.5, 0, 0, 2, 0, 0, 0, 0, 0.5, 3, 0, 0, 0, 0, 0, 1, 0, 0, 1], rows: 4, dSae: 5)
        var sparsity = SparsityAccumulator(dSae: 5)
        sparsity.add(codes, isFirst: [true, false, false, false])
        let s = sparsity.result.metrics
        #expect(s.allTokens.l0Mean == 1.5 && s.allTokens.l1Mean == 2.25)
        #expect(s.allTokens.frequencies == [0.25, 0.5, 0, 0, 0.75])
        #expect(s.withoutFirstToken.nTokens == 3 && s.withoutFirstToken.activationCounts == [1, 1, 0, 0, 2])
        #expect(s.allTokens.l0Distribution == [0, 2, 2])
    }

    @Test("ActivationMean (the mean-ablation μ) equals numpy's mean, merged or not")
    func activationMean() throws {
        let (x, n) = try SAEFixtures.activations()
        var first = ActivationMean(dimension: 64), second = first, all = first
        first.add(rows(x, 0..<120, width: 64), rows: 120)
        second.add(rows(x, 120..<n, width: 64), rows: n - 120)
        all.add(x, rows: n)
        let cases = try SAEFixtures.golden()["cases"] as! [String: Any]
        let relu = (cases["seed-sae-relu-l2"] as! [String: Any])["reconstruction"] as! [String: Any]
        let golden = relu["all_tokens"] as! [String: Any]
        expectClose(all.mean.map(Double.init), golden["mean_activation"] as! [Double], "μ")
        expectClose(first.merged(with: second).mean.map(Double.init), all.mean.map(Double.init), relative: 1e-6, "merged μ")
        #expect(ActivationMean(dimension: 2).mean == [0, 0])
    }

    @Test("empty accumulators give nil metrics, not NaN")
    func empty() throws {
        let r = ReconstructionAccumulator(dimension: 4).result.allTokens
        #expect(r.nTokens == 0 && r.explainedVariance == nil && r.msePerToken == nil)
        let s = SparsityAccumulator(dSae: 3).result.metrics.allTokens
        #expect(s.l0Mean == nil && s.deadFeatureIds == [0, 1, 2])
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(!json.contains("nan"))
    }
}
