@testable import Analyze
@testable import Formats
import Foundation
import LMRuntime
import Testing
import TestSupport

/// Logit effects computed for a subset of features (the ones that fired) and through a bf16 head: the subset is
/// the full computation's rows bit for bit, and the bf16 head matches numpy on the bf16-rounded matrices
/// (scripts/fixtures/make_feature_fixtures.py, `logit_effects_bf16`).
@Suite struct LogitEffectsSelectionTests {
    let input = FeatureFixtures.input
    let expected = FeatureFixtures.expected

    var fired: [Int] { (0..<input.n_features).filter { expected.stats.count[$0] > 0 } }

    /// γ of a final norm, so the fold into the decoder rows is exercised too.
    var gamma: [Float] { (0..<input.d_in).map { 0.5 + Float($0) / Float(input.d_in) } }

    @Test(arguments: [16, 50 * 4 * 3, 1 << 28])
    func aSubsetIsTheFullComputationsRowsExactly(blockBytes: Int) throws {
        let all = try LogitEffects(decoder: input.decoder, unembedding: input.unembedding, finalNormWeight: gamma, blockBytes: blockBytes)
        #expect(all.features == Array(0..<input.n_features) && (0..<input.n_features).allSatisfy(all.covers))
        for subset in [fired, [63, 5, 17, 5, 0], []] {
            let some = try LogitEffects(
                decoder: input.decoder, unembedding: input.unembedding, finalNormWeight: gamma, features: subset,
                blockBytes: blockBytes)
            #expect(some.features == Array(Set(subset)).sorted())
            for f in 0..<input.n_features {
                let (promoted, suppressed) = some.effects(of: f)
                if subset.contains(f) {
                    #expect(some.covers(f))
                    #expect(promoted == all.effects(of: f).promoted && suppressed == all.effects(of: f).suppressed, "\(f)")
                    #expect(some.histograms[f] == all.histograms[f], "histogram of \(f)")
                } else {
                    #expect(!some.covers(f))
                    #expect(promoted.allSatisfy { $0.tokenID == -1 } && suppressed.allSatisfy { $0.tokenID == -1 }, "\(f)")
                }
            }
        }
        #expect(fired.count < input.n_features, "the fixture has features that never fire")
    }

    @Test func aBF16HeadMatchesNumpyOnTheRoundedMatrices() throws {
        let head = WeightMatrix(rows: input.vocab_size, columns: input.d_in, roundingToBF16: input.w_u)
        #expect(head.dtype == .bf16)
        let effects = try LogitEffects(decoder: input.decoder, unembedding: head, features: fired, k: 10, blockBytes: 16)
        var differFromFP32 = 0
        for f in fired {
            let (promoted, suppressed) = effects.effects(of: f)
            let want = expected.logit_effects_bf16[f]
            #expect(promoted.map(\.tokenID) == want.promoted.map { Int($0[0]) }, "promoted by \(f)")
            #expect(suppressed.map(\.tokenID) == want.suppressed.map { Int($0[0]) }, "suppressed by \(f)")
            // fp32 sums of 16 exact products of bf16 values: far inside 1e-5 at these magnitudes (|logit| < 4).
            #expect(zip(promoted, want.promoted).allSatisfy { abs(Double($0.value) - $1[1]) <= 1e-5 })
            #expect(zip(suppressed, want.suppressed).allSatisfy { abs(Double($0.value) - $1[1]) <= 1e-5 })
            differFromFP32 += zip(promoted, expected.logit_effects[f].promoted).filter { $0.tokenID != Int($1[0]) }.count
        }
        #expect(differFromFP32 > 0, "the bf16 expectation must differ from fp32's somewhere to show the head is bf16")
    }

    @Test func theFeatureAnalysisComputesOnlyTheFeaturesThatFired() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top, decoder: input.decoder,
            unembedding: input.unembedding, options: FeatureFixtures.options)
        let effects = try #require(analysis.logitEffects)
        #expect(effects.features == fired)
        #expect(analysis.reports.map(\.feature) == fired, "every feature with a report has its logit effects")
        // --logit-effects 0: no lists, and no product through the unembedding at all.
        var none = FeatureFixtures.options
        none.logitEffects = 0
        let without = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top, decoder: input.decoder,
            unembedding: input.unembedding, options: none)
        #expect(without.logitEffects == nil && !without.timings.contains { $0.stage == "logit_effects" })
        #expect(without.reports.map(\.feature) == fired)
    }
}
