@testable import Analyze
import Foundation
@testable import SAECore
import Testing

@Suite("metric_table rows")
struct MetricTableTests {
    @Test("rows for every group and both variants, with null for missing seed values")
    func rows() throws {
        let encoded = try EncodedCase("seed-sae-btopk8-l2/batch")
        let (sparsity, reconstruction) = try MetricAccumulatorTests.accumulate(encoded)
        let (vocab, batches, _) = try DownstreamAccumulatorTests.batches()
        var downstream = DownstreamAccumulator(vocabularySize: vocab)
        for batch in batches { downstream.add(batch) }

        let rows = MetricTable.rows(sparsity: sparsity.result, reconstruction: reconstruction.result, downstream: downstream.result)
        #expect(Set(rows.map(\.group)) == ["sparsity", "dead", "reconstruction", "ablation"])
        #expect(Set(rows.map(\.variant)) == [.allTokens, .withoutFirstToken])
        let names = Set(rows.map(\.name))
        for name in [
            "l0_mean", "l1_std", "n_dead", "pct_dead", "dense_above_1pct", "explained_variance", "explained_variance_legacy",
            "mse_per_token", "mse_per_element", "cosine_similarity", "relative_reconstruction_bias", "ce_baseline",
            "ce_spliced", "ce_zero_ablated", "ce_mean_ablated", "loss_recovered_zero", "loss_recovered_mean",
            "kl_spliced", "kl_zero_ablated", "kl_mean_ablated", "delta_ce",
        ] {
            #expect(names.contains(name), "missing \(name)")
        }
        // Each (group, name, variant) appears once.
        #expect(Set(rows.map { "\($0.group)/\($0.name)/\($0.variant)" }).count == rows.count)

        let ev = try #require(rows.first { $0.name == "explained_variance" && $0.variant == .allTokens })
        #expect(ev.value == reconstruction.result.allTokens.explainedVariance)
        #expect(ev.seedValue == reconstruction.result.allTokens.seed.explainedVariance)
        let dead = try #require(rows.first { $0.name == "n_dead" && $0.variant == .allTokens })
        #expect(dead.value == Double(sparsity.result.metrics.allTokens.deadFeatureIds.count) && dead.seedValue == 256)

        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(rows)) as! [[String: Any]]
        let legacy = try #require(json.first { $0["name"] as? String == "explained_variance_legacy" })
        #expect(Set(legacy.keys) == ["group", "name", "value", "definition", "seed_value", "seed_definition", "variant"])
        #expect(legacy["seed_value"] is NSNull && legacy["variant"] as? String == "all_tokens")
    }

    @Test("only the requested variants, and only the groups given")
    func subsets() {
        var sparsity = SparsityAccumulator(dSae: 2)
        sparsity.add(SparseCodes(dense: [1, 0], rows: 1, dSae: 2), isFirst: [false])
        let rows = MetricTable.rows(sparsity: sparsity.result, variants: [.withoutFirstToken])
        #expect(rows.allSatisfy { $0.variant == .withoutFirstToken })
        #expect(Set(rows.map(\.group)) == ["sparsity", "dead"])
        #expect(rows.first { $0.name == "n_dead" }?.seedValue == nil)
    }
}
