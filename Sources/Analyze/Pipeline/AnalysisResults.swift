import Formats
import Foundation
import LMRuntime
import SAECore

/// What a run measured, as typed values: built once from the pass state, read by field (the README report, SUMMARY,
/// `quick`), and turned into `analysis_results_<ts>.json` only at the edge (`document`). The feature stage adds its
/// own keys to that document when it writes the analysis directory (`ArtifactWriter`).
public struct AnalysisResults: Sendable {
    /// The token variant of the headline numbers (the seed's blocks, SUMMARY).
    public var primary: TokenVariant
    public var dSae: Int
    public var sparsity: SparsityResult
    public var reconstruction: ByFirstToken<ReconstructionMetrics>
    /// nil when the run had no ablation study.
    public var downstream: DownstreamResult?
    /// Why the ablation study could not run, when it could not (activations read without the model); the seed's
    /// `ablation` block then says so in `not_computed`.
    public var ablationNotComputed: String?
    /// Every metric with our definition and the seed's side by side, for both token variants.
    public var metricTable: [MetricRow]
    /// What a reader must see (dead or dense features, skipped texts, ablation sample size, degenerate baselines).
    public var warnings: [String]
    public var run: RunFacts

    /// How the run went: corpus counts, where the time went, the top-k calibration, and how the state came to be.
    public struct RunFacts: Sendable {
        public var texts: Int
        public var textsUsed: Int
        public var tokens: Int
        public var ablatedTokens: Int
        public var skipped: [Corpus.Skipped]
        /// Wall-clock seconds per stage of this process.
        public var timings: [(stage: String, seconds: Double)]
        public var passSeconds: Double
        public var forwardSeconds: Double
        public var ablationSeconds: Double
        public var topKMode: TopKMode?
        public var topKThreshold: Float?
        /// How the state came to be, when not by one uninterrupted run.
        public var provenance: [Provenance]
        /// Positions left out of every statistic: special tokens, and norms above `--ignore-high-norm` × the median.
        public var excluded = Exclusions()

        public var tokensPerSecond: Double { passSeconds > 0 ? Double(tokens) / passSeconds : 0 }

        public init(
            texts: Int, textsUsed: Int, tokens: Int, ablatedTokens: Int, skipped: [Corpus.Skipped],
            timings: [(stage: String, seconds: Double)], passSeconds: Double, forwardSeconds: Double,
            ablationSeconds: Double, topKMode: TopKMode?, topKThreshold: Float?, provenance: [Provenance]
        ) {
            (self.texts, self.textsUsed, self.tokens, self.ablatedTokens) = (texts, textsUsed, tokens, ablatedTokens)
            (self.skipped, self.timings) = (skipped, timings)
            (self.passSeconds, self.forwardSeconds, self.ablationSeconds) = (passSeconds, forwardSeconds, ablationSeconds)
            (self.topKMode, self.topKThreshold, self.provenance) = (topKMode, topKThreshold, provenance)
        }
    }

    /// What the pass left out, and why.
    public struct Exclusions: Sendable, Equatable {
        /// How texts started: "tokenizer default", "no special tokens" or "BOS <id>".
        public var sequenceStart = "tokenizer default"
        public var keepSpecialTokens = false
        /// Special-token positions left out (0 with `keepSpecialTokens`).
        public var specialTokens = 0
        /// `--ignore-high-norm` M, the median norm it multiplies, and the positions above M × median.
        public var highNormFactor: Double?
        public var medianNorm: Double?
        public var highNorm = 0

        public init() {}

        var json: OrderedJSON {
            .object([
                ("sequence_start", .string(sequenceStart)),
                ("keep_special_tokens", .bool(keepSpecialTokens)),
                ("n_special_token_positions", .int(specialTokens)),
                ("ignore_high_norm", highNormFactor.map(OrderedJSON.double) ?? .null),
                ("median_norm", medianNorm.map(OrderedJSON.double) ?? .null),
                ("n_high_norm_positions", .int(highNorm)),
            ])
        }

        /// The warnings a reader must see.
        var warnings: [String] {
            var warnings: [String] = []
            if specialTokens > 0 {
                warnings.append(
                    "\(specialTokens) special-token positions (BOS, EOS, pad) were left out of every statistic and left "
                        + "unspliced in the ablation study; --keep-special-tokens keeps them")
            }
            if let highNormFactor, let medianNorm {
                warnings.append(
                    "\(highNorm) positions with a hook-activation norm above \(highNormFactor) × the median norm "
                        + "\(String(format: "%.6g", medianNorm)) (--ignore-high-norm) were left out of every statistic and "
                        + "left unspliced in the ablation study")
            }
            return warnings
        }
    }

    public enum Provenance: Sendable, Equatable {
        /// The run continued a checkpoint that had done this many tokens.
        case resumedAfterTokens(Int)
        /// The run is this shard (`i/n`).
        case shard(ShardSpec)
        /// The analysis merges this many shards.
        case mergedShards(Int)

        var entry: (String, OrderedJSON) {
            switch self {
            case .resumedAfterTokens(let tokens): ("resumed_after_tokens", .int(tokens))
            case .shard(let shard): ("shard", .string(shard.description))
            case .mergedShards(let count): ("merged_shards", .int(count))
            }
        }
    }

    public init(
        primary: TokenVariant, dSae: Int, sparsity: SparsityResult,
        reconstruction: ByFirstToken<ReconstructionMetrics>, downstream: DownstreamResult?,
        warnings: [String], run: RunFacts
    ) {
        self.primary = primary
        self.dSae = dSae
        self.sparsity = sparsity
        self.reconstruction = reconstruction
        self.downstream = downstream
        self.metricTable = MetricTable.rows(sparsity: sparsity, reconstruction: reconstruction, downstream: downstream)
        self.warnings = warnings
        self.run = run
    }

    // MARK: Headline numbers (the primary variant, the seed's definitions where the seed's blocks use them)

    public var headlineSparsity: SparsityMetrics { sparsity.metrics[primary] }
    public var headlineReconstruction: SeedReconstructionMetrics { reconstruction[primary].seed }
    public var headlineAblation: SeedAblationMetrics? { downstream?.metrics[primary].seed }

    /// Features that never fired on this corpus (over the primary variant's tokens): the one list every report uses.
    public var deadFeatureIDs: [Int] { headlineSparsity.deadFeatureIds }
    public var deadPercent: Double { 100 * Double(deadFeatureIDs.count) / Double(max(1, dSae)) }

    /// The metric table's rows of the primary variant.
    public var headlineRows: [MetricRow] { metricTable.filter { $0.variant == primary } }
}

extension AnalysisResults {
    /// `analysis_results_<ts>.json` as the metrics stage knows it (docs/artifacts.md): the seed's four blocks with the
    /// seed's definitions on the primary variant, `metric_table`, the accumulators' full results, the L0 histogram,
    /// dead and dense features, warnings, and the `run` block.
    public var document: OrderedJSON {
        let s = headlineSparsity, r = headlineReconstruction
        var document: OrderedJSON = .object([
            (
                "sparsity",
                .object([
                    ("l0_mean", .number(s.l0Mean)), ("l0_std", .number(s.l0Std)),
                    ("l1_mean", .number(s.l1Mean)), ("l1_std", .number(s.l1Std)),
                    ("n_features", .int(dSae)), ("n_tokens", .int(s.nTokens)),
                ])
            ),
            (
                "dead_features",
                .object([
                    ("n_dead", .int(deadFeatureIDs.count)), ("pct_dead", .double(deadPercent)),
                    ("threshold", .double(0)), ("use_training_metric", .bool(false)),
                    ("definition", .string("features that never fired on this corpus")),
                ])
            ),
            (
                "reconstruction",
                .object([
                    ("mse", .number(r.mse)), ("explained_variance", .number(r.explainedVariance)),
                    ("cosine_similarity", .number(r.cosineSimilarity)), ("original_std", .number(r.originalStd)),
                    ("residual_std", .number(r.residualStd)), ("n_tokens", .int(reconstruction[primary].nTokens)),
                ])
            ),
        ])
        if let seed = headlineAblation {
            document.set(
                "ablation",
                .object([
                    ("baseline_loss", .number(seed.baselineLoss)), ("zero_ablation_loss", .number(seed.zeroAblationLoss)),
                    ("sae_reconstruction_loss", .number(seed.saeReconstructionLoss)),
                    ("loss_recovered", .number(seed.lossRecovered)), ("n_batches", .int(seed.nBatches)),
                ]))
        } else if let reason = ablationNotComputed {
            document.set("ablation", Self.ablationNotComputedBlock(reason))
        }
        document.set("primary_variant", .string(primary.rawValue))
        document.set("metric_table", (try? OrderedJSON(encoding: metricTable)) ?? .array([]))
        document.set(
            "metrics",
            .object([
                ("sparsity", (try? OrderedJSON(encoding: sparsity)) ?? .null),
                ("reconstruction", (try? OrderedJSON(encoding: reconstruction)) ?? .null),
                ("downstream", downstream.flatMap { try? OrderedJSON(encoding: $0) } ?? .null),
            ]))
        let l0 = s.l0Distribution
        document.set(
            "histograms",
            .object([
                (
                    "l0",
                    .object([
                        ("edges", .array((0...l0.count).map { .int($0) })),
                        ("counts", .array(l0.map(OrderedJSON.int))),
                    ])
                )
            ]))
        document.set(
            "dense_features",
            .object([
                ("above_10pct", .array(s.denseAbove10Percent.map(OrderedJSON.int))),
                ("above_1pct", .array(s.denseAbove1Percent.map(OrderedJSON.int))),
            ]))
        document.set("dead_feature_ids", .array(deadFeatureIDs.map(OrderedJSON.int)))
        if let training = sparsity.trainingDeadFeatureIds {
            document.set("training_dead_feature_ids", .array(training.map(OrderedJSON.int)))
        }
        document.set("warnings", .array(warnings.map(OrderedJSON.string)))
        document.set("run", runBlock)
        return document
    }

    private var runBlock: OrderedJSON {
        .object(
            [
                ("n_texts", .int(run.texts)),
                ("n_texts_used", .int(run.textsUsed)),
                ("n_tokens", .int(run.tokens)),
                ("n_tokens_ablation", .int(run.ablatedTokens)),
                ("skipped_texts", .array(run.skipped.map { .object([("text_idx", .int($0.textIdx)), ("reason", .string($0.reason))]) })),
                (
                    "timings_s",
                    .object(
                        run.timings.map { ($0.stage, .double($0.seconds)) } + [
                            ("activation_pass", .double(run.passSeconds)),
                            ("forward_to_hook", .double(run.forwardSeconds)), ("ablation_suffix", .double(run.ablationSeconds)),
                        ])
                ),
                ("tokens_per_second", .double(run.tokensPerSecond)),
                ("topk_mode", run.topKMode.map { .string($0.rawValue) } ?? .null),
                ("topk_threshold", run.topKThreshold.map { .double(Double($0)) } ?? .null),
                ("excluded_positions", run.excluded.json),
                ("versions", Self.versions),
            ] + run.provenance.map(\.entry))
    }

    /// The seed's `ablation` block of a run that could not compute it: its values null, and why.
    static func ablationNotComputedBlock(_ reason: String) -> OrderedJSON {
        .object([
            ("baseline_loss", .null), ("zero_ablation_loss", .null), ("sae_reconstruction_loss", .null),
            ("loss_recovered", .null), ("not_computed", .string(reason)),
        ])
    }

    /// The tool's version, the OpenBLAS kernels, the kernels of the model's products and the instruction set of its row
    /// kernels, recorded in the results and the config.
    static var versions: OrderedJSON {
        .object([
            ("tool", .string(ToolVersion.string)), ("openblas", .string(BLAS.coreName ?? "unknown")),
            ("fp32_kernel", .string(FP32Kernel.current.rawValue)), ("bf16_kernel", .string(BF16Kernel.current.rawValue)),
            ("row_kernels", .string(RowKernels.instructionSet)),
        ])
    }

    /// The warnings every run's sparsity and corpus imply.
    static func warnings(
        sparsity: SparsityResult, downstream: DownstreamResult?, skipped: [Corpus.Skipped],
        dSae: Int
    ) -> [String] {
        let s = sparsity.metrics.allTokens
        var warnings: [String] = downstream?.notes ?? []
        if !s.deadFeatureIds.isEmpty {
            warnings.append("\(s.deadFeatureIds.count) of \(dSae) features never fired on this corpus")
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
