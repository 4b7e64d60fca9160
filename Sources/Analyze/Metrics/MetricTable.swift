/// One row of `metric_table` in `results/analysis_results_<ts>.json` (docs/artifacts.md): a metric with our
/// definition and, side by side, the seed's definition and value where the seed had one.
public struct MetricRow: Codable, Equatable, Sendable {
    /// `sparsity`, `dead`, `reconstruction` or `ablation`.
    public var group: String
    public var name: String
    /// Our value (nil = not computed or undefined, written as null).
    public var value: Double?
    public var definition: String
    /// The value under the seed's definition, on the same data (nil where the seed had no such metric).
    public var seedValue: Double?
    public var seedDefinition: String?
    public var variant: TokenVariant
    /// The standard error of `value` (clustered by sequence), where one is computed.
    public var standardError: Double?

    public init(
        group: String, name: String, value: Double?, definition: String, seedValue: Double? = nil,
        seedDefinition: String? = nil, variant: TokenVariant, standardError: Double? = nil
    ) {
        self.group = group
        self.name = name
        self.value = value
        self.definition = definition
        self.seedValue = seedValue
        self.seedDefinition = seedDefinition
        self.variant = variant
        self.standardError = standardError
    }

    enum CodingKeys: String, CodingKey {
        case group, name, value, definition, variant
        case standardError = "std_error"
        case seedValue = "seed_value"
        case seedDefinition = "seed_definition"
    }

    /// Writes every key, with null for missing values (the site tells "no seed value" from "key missing").
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group, forKey: .group)
        try container.encode(name, forKey: .name)
        try container.encode(value, forKey: .value)
        try container.encode(definition, forKey: .definition)
        try container.encode(seedValue, forKey: .seedValue)
        try container.encode(seedDefinition, forKey: .seedDefinition)
        try container.encode(variant, forKey: .variant)
    }
}

/// Builds the `metric_table` rows from the accumulators' results, for each requested token variant.
public enum MetricTable {
    /// Rows for every metric that was computed, grouped sparsity → dead → reconstruction → ablation, each group
    /// listing all of `variants` in order.
    public static func rows(
        sparsity: SparsityResult? = nil, reconstruction: ByFirstToken<ReconstructionMetrics>? = nil,
        downstream: DownstreamResult? = nil,
        variants: [TokenVariant] = TokenVariant.allCases
    ) -> [MetricRow] {
        var rows: [MetricRow] = []
        if let sparsity {
            for variant in variants { rows += sparsityRows(sparsity.metrics[variant], variant: variant) }
            for variant in variants {
                rows += deadRows(sparsity.metrics[variant], training: sparsity.trainingDeadFeatureIds, variant: variant)
            }
        }
        if let reconstruction {
            for variant in variants { rows += reconstructionRows(reconstruction[variant], variant: variant) }
        }
        if let downstream {
            for variant in variants { rows += ablationRows(downstream.metrics[variant], variant: variant) }
        }
        return rows
    }

    static func sparsityRows(_ m: SparsityMetrics, variant: TokenVariant) -> [MetricRow] {
        let same = "the same (population std over tokens)"
        return [
            MetricRow(
                group: "sparsity", name: "l0_mean", value: m.l0Mean, definition: "mean over tokens of #(f > 0)",
                seedValue: m.l0Mean, seedDefinition: same, variant: variant),
            MetricRow(
                group: "sparsity", name: "l0_std", value: m.l0Std, definition: "population std over tokens of #(f > 0)",
                seedValue: m.l0Std, seedDefinition: same, variant: variant),
            MetricRow(
                group: "sparsity", name: "l1_mean", value: m.l1Mean, definition: "mean over tokens of Σ|f|",
                seedValue: m.l1Mean, seedDefinition: same, variant: variant),
            MetricRow(
                group: "sparsity", name: "l1_std", value: m.l1Std, definition: "population std over tokens of Σ|f|",
                seedValue: m.l1Std, seedDefinition: same, variant: variant),
        ]
    }

    static func deadRows(_ m: SparsityMetrics, training: [Int]?, variant: TokenVariant) -> [MetricRow] {
        let features = Double(m.activationCounts.count)
        let trainingDead = training.map { Double($0.count) }
        let trainingDefinition =
            training == nil
            ? nil
            : "features whose training-time ever_fired is false (the seed's use_training_metric=True)"
        return [
            MetricRow(
                group: "dead", name: "n_dead", value: Double(m.deadFeatureIds.count),
                definition: "features that never fired on this corpus", seedValue: trainingDead,
                seedDefinition: trainingDefinition, variant: variant),
            MetricRow(
                group: "dead", name: "pct_dead", value: 100 * Double(m.deadFeatureIds.count) / features,
                definition: "percent of features that never fired on this corpus",
                seedValue: trainingDead.map { 100 * $0 / features }, seedDefinition: trainingDefinition, variant: variant),
            MetricRow(
                group: "dead", name: "dense_above_10pct", value: Double(m.denseAbove10Percent.count),
                definition: "features firing on more than 10% of tokens", variant: variant),
            MetricRow(
                group: "dead", name: "dense_above_1pct", value: Double(m.denseAbove1Percent.count),
                definition: "features firing on more than 1% of tokens", variant: variant),
        ]
    }

    static func reconstructionRows(_ m: ReconstructionMetrics, variant: TokenVariant) -> [MetricRow] {
        [
            MetricRow(
                group: "reconstruction", name: "explained_variance", value: m.explainedVariance,
                definition: "1 − Σ‖x−x̂‖² / Σ‖x−μ‖², μ per dimension over the corpus",
                seedValue: m.seed.explainedVariance,
                seedDefinition: "1 − var(flattened residual)/var(flattened x), Bessel variances per batch, token-weighted",
                variant: variant),
            MetricRow(
                group: "reconstruction", name: "explained_variance_legacy", value: m.explainedVarianceLegacy,
                definition: "mean over tokens of 1 − ‖x−x̂‖²/‖x−μ_batch‖² (SAELens/SAEBench legacy)", variant: variant),
            MetricRow(
                group: "reconstruction", name: "mse_per_token", value: m.msePerToken,
                definition: "mean over tokens of ‖x−x̂‖²", variant: variant),
            MetricRow(
                group: "reconstruction", name: "mse_per_element", value: m.msePerElement,
                definition: "Σ‖x−x̂‖² / (tokens · d_in)", seedValue: m.seed.mse,
                seedDefinition: "mean((x−x̂)²) over a batch's elements, token-weighted over batches", variant: variant),
            MetricRow(
                group: "reconstruction", name: "cosine_similarity", value: m.cosineSimilarity,
                definition: "mean over tokens of cos(x, x̂)", seedValue: m.seed.cosineSimilarity,
                seedDefinition: "per-batch mean cosine, token-weighted over batches", variant: variant),
            MetricRow(
                group: "reconstruction", name: "relative_reconstruction_bias", value: m.relativeReconstructionBias,
                definition: "Σ‖x̂‖² / Σ⟨x, x̂⟩ (< 1: shrinkage)", variant: variant),
            MetricRow(
                group: "reconstruction", name: "l2_ratio", value: m.l2Ratio,
                definition: "mean over tokens of ‖x̂‖/‖x‖", variant: variant),
        ]
    }

    static func ablationRows(_ m: DownstreamMetrics, variant: TokenVariant) -> [MetricRow] {
        let batchMean = "mean over batches of each batch's mean CE"
        var seedDelta: Double?
        if let sae = m.seed.saeReconstructionLoss, let base = m.seed.baselineLoss { seedDelta = sae - base }
        var rows = [
            MetricRow(
                group: "ablation", name: "ce_baseline", value: m.ceBaseline,
                definition: "mean over next-token targets of the clean model's CE (nats)",
                seedValue: m.seed.baselineLoss, seedDefinition: batchMean, variant: variant),
            MetricRow(
                group: "ablation", name: "ce_spliced", value: m.ceSpliced,
                definition: "mean CE with the hook replaced by the SAE reconstruction",
                seedValue: m.seed.saeReconstructionLoss, seedDefinition: batchMean, variant: variant),
            MetricRow(
                group: "ablation", name: "delta_ce", value: m.deltaCE, definition: "CE_spliced − CE_baseline",
                seedValue: seedDelta, seedDefinition: seedDelta == nil ? nil : "difference of the batch-mean CEs",
                variant: variant, standardError: m.standardErrors.deltaCE),
            MetricRow(
                group: "ablation", name: "kl_spliced", value: m.klSpliced,
                definition: "mean over positions of KL(p_clean ‖ p_spliced)", variant: variant,
                standardError: m.standardErrors.klSpliced),
        ]
        if m.ceZeroAblated != nil {
            rows += [
                MetricRow(
                    group: "ablation", name: "ce_zero_ablated", value: m.ceZeroAblated,
                    definition: "mean CE with the hook replaced by zeros",
                    seedValue: m.seed.zeroAblationLoss, seedDefinition: batchMean, variant: variant),
                MetricRow(
                    group: "ablation", name: "loss_recovered_zero", value: m.lossRecoveredZero,
                    definition: "(CE_zero − CE_spliced) / (CE_zero − CE_baseline), token-weighted CEs",
                    seedValue: m.seed.lossRecovered,
                    seedDefinition: "1 − (L_sae − L_base)/(L_zero − L_base) from the batch-mean CEs", variant: variant,
                    standardError: m.standardErrors.lossRecoveredZero),
                MetricRow(
                    group: "ablation", name: "kl_zero_ablated", value: m.klZeroAblated,
                    definition: "mean over positions of KL(p_clean ‖ p_zero)", variant: variant),
            ]
        }
        if m.ceMeanAblated != nil {
            rows += [
                MetricRow(
                    group: "ablation", name: "ce_mean_ablated", value: m.ceMeanAblated,
                    definition: "mean CE with the hook replaced by the mean activation μ", variant: variant),
                MetricRow(
                    group: "ablation", name: "loss_recovered_mean", value: m.lossRecoveredMean,
                    definition: "(CE_mean − CE_spliced) / (CE_mean − CE_baseline)", variant: variant,
                    standardError: m.standardErrors.lossRecoveredMean),
                MetricRow(
                    group: "ablation", name: "kl_mean_ablated", value: m.klMeanAblated,
                    definition: "mean over positions of KL(p_clean ‖ p_mean)", variant: variant),
            ]
        }
        return rows
    }
}
