import Foundation

/// Builds `analysis_results_<ts>.json` from the accumulators' results: the seed's four blocks with the seed's
/// definitions (computed on the `primary` token variant), our `metric_table` with both definitions side by side,
/// the L0 histogram, and the warnings a reader must see (docs/artifacts.md).
enum ResultsDocument {
    static func build(sparsity: SparsityResult, reconstruction: ByFirstToken<ReconstructionMetrics>,
                      downstream: DownstreamResult?, primary: TokenVariant, featureCount: Int) -> OrderedJSON {
        let s = sparsity.metrics[primary], r = reconstruction[primary]
        let dead = s.deadFeatureIds.count
        var document: OrderedJSON = .object([
            ("sparsity", .object([
                ("l0_mean", .number(s.l0Mean)), ("l0_std", .number(s.l0Std)),
                ("l1_mean", .number(s.l1Mean)), ("l1_std", .number(s.l1Std)),
                ("n_features", .int(featureCount)), ("n_tokens", .int(s.nTokens)),
            ])),
            ("dead_features", .object([
                ("n_dead", .int(dead)), ("pct_dead", .double(100 * Double(dead) / Double(max(1, featureCount)))),
                ("threshold", .double(0)), ("use_training_metric", .bool(false)),
                ("definition", .string("features that never fired on this corpus")),
            ])),
            ("reconstruction", .object([
                ("mse", .number(r.seed.mse)), ("explained_variance", .number(r.seed.explainedVariance)),
                ("cosine_similarity", .number(r.seed.cosineSimilarity)), ("original_std", .number(r.seed.originalStd)),
                ("residual_std", .number(r.seed.residualStd)), ("n_tokens", .int(r.nTokens)),
            ])),
        ])
        if let downstream {
            let seed = downstream.metrics[primary].seed
            document.set("ablation", .object([
                ("baseline_loss", .number(seed.baselineLoss)), ("zero_ablation_loss", .number(seed.zeroAblationLoss)),
                ("sae_reconstruction_loss", .number(seed.saeReconstructionLoss)),
                ("loss_recovered", .number(seed.lossRecovered)), ("n_batches", .int(seed.nBatches)),
            ]))
        }
        document.set("primary_variant", .string(primary.rawValue))
        let rows = MetricTable.rows(sparsity: sparsity, reconstruction: reconstruction, downstream: downstream)
        document.set("metric_table", (try? OrderedJSON(encoding: rows)) ?? .array([]))
        document.set("metrics", .object([
            ("sparsity", (try? OrderedJSON(encoding: sparsity)) ?? .null),
            ("reconstruction", (try? OrderedJSON(encoding: reconstruction)) ?? .null),
            ("downstream", downstream.flatMap { try? OrderedJSON(encoding: $0) } ?? .null),
        ]))
        let l0 = s.l0Distribution
        document.set("histograms", .object([
            ("l0", .object([
                ("edges", .array((0...l0.count).map { .int($0) })),
                ("counts", .array(l0.map(OrderedJSON.int))),
            ])),
        ]))
        document.set("dense_features", .object([
            ("above_10pct", .array(s.denseAbove10Percent.map(OrderedJSON.int))),
            ("above_1pct", .array(s.denseAbove1Percent.map(OrderedJSON.int))),
        ]))
        document.set("dead_feature_ids", .array(s.deadFeatureIds.map(OrderedJSON.int)))
        if let training = sparsity.trainingDeadFeatureIds {
            document.set("training_dead_feature_ids", .array(training.map(OrderedJSON.int)))
        }
        return document
    }

    static func warnings(sparsity: SparsityResult, downstream: DownstreamResult?, skipped: [Corpus.Skipped],
                         featureCount: Int) -> [String] {
        let s = sparsity.metrics.allTokens
        var warnings: [String] = downstream?.notes ?? []
        if !s.deadFeatureIds.isEmpty {
            warnings.append("\(s.deadFeatureIds.count) of \(featureCount) features never fired on this corpus")
        }
        if !s.denseAbove10Percent.isEmpty {
            warnings.append("\(s.denseAbove10Percent.count) features fire on more than 10% of tokens (dense features)")
        }
        if !skipped.isEmpty {
            warnings.append("\(skipped.count) texts were skipped (empty, whitespace only, or no tokens); see run.skipped_texts")
        }
        return warnings
    }
}
