import Charts
import Formats
import Foundation
import LMRuntime

/// What a run records about itself: the metric blocks and `run` block of `analysis_results`, and `config_<ts>.json`.
/// Built from a pass state, so a single run, a resumed run and merged shards describe themselves the same way.
struct RunRecord {
    let options: AnalysisOptions
    let inputs: AnalysisInputs
    let checkpoint: PassCheckpoint
    /// Wall-clock seconds per stage of this process.
    var timings: [(String, Double)]
    /// Notes on how the state came to be (resumed, merged from shards), for the `run` block.
    var provenance: [(String, OrderedJSON)] = []
    var extraWarnings: [String] = []

    var state: PassState { checkpoint.state }

    /// `analysis_results` before the feature analysis adds its keys.
    func results() -> OrderedJSON {
        let sparsity = state.sparsity.result, reconstruction = state.reconstruction.result
        let downstream = options.ablation != .none ? state.downstream.result : nil
        let featureCount = inputs.sae.featureCount
        var results = ResultsDocument.build(
            sparsity: sparsity, reconstruction: reconstruction, downstream: downstream,
            primary: options.excludeFirstToken ? .withoutFirstToken : .allTokens, featureCount: featureCount)
        var warnings = ResultsDocument.warnings(sparsity: sparsity, downstream: downstream,
                                                skipped: checkpoint.corpus.skipped, featureCount: featureCount)
        let total = checkpoint.corpus.tokens
        if let ablationTokens = options.ablationTokens, let downstream, state.ablatedTokens < state.rows {
            let m = downstream.metrics[options.excludeFirstToken ? .withoutFirstToken : .allTokens]
            func plusMinus(_ name: String, _ value: Double?, _ error: Double?) -> String? {
                guard let value, let error else { return nil }
                return "\(name) \(String(format: "%.4g", value)) ± \(String(format: "%.2g", error))"
            }
            let precision = [plusMinus("ΔCE", m.deltaCE, m.standardErrors.deltaCE),
                             plusMinus("KL", m.klSpliced, m.standardErrors.klSpliced),
                             plusMinus("loss recovered (mean ablation)", m.lossRecoveredMean, m.standardErrors.lossRecoveredMean),
                             plusMinus("loss recovered (zero ablation)", m.lossRecoveredZero, m.standardErrors.lossRecoveredZero)]
                .compactMap { $0 }
            warnings.append("the ablation study ran on \(state.ablatedTokens) of \(total) tokens (evenly spaced batches, "
                            + "--ablation-tokens \(ablationTokens)); use --ablation-tokens all for every token"
                            + (precision.isEmpty ? "" : "; standard errors clustered by sequence: " + precision.joined(separator: ", ")))
        }
        results.set("warnings", .array((warnings + extraWarnings).map(OrderedJSON.string)))
        results.set("run", runBlock())
        return results
    }

    private func runBlock() -> OrderedJSON {
        let corpus = checkpoint.corpus
        return .object([
            ("n_texts", .int(corpus.texts)),
            ("n_texts_used", .int(corpus.textsUsed)),
            ("n_tokens", .int(state.rows)),
            ("n_tokens_ablation", .int(state.ablatedTokens)),
            ("skipped_texts", .array(corpus.skipped.map { .object([("text_idx", .int($0.textIdx)), ("reason", .string($0.reason))]) })),
            ("timings_s", .object(timings.map { ($0.0, .double($0.1)) } + [
                ("activation_pass", .double(state.passSeconds)),
                ("forward_to_hook", .double(state.forwardSeconds)), ("ablation_suffix", .double(state.ablationSeconds)),
            ])),
            ("tokens_per_second", .double(state.passSeconds > 0 ? Double(state.rows) / state.passSeconds : 0)),
            ("topk_mode", inputs.topKMode.map { .string($0.rawValue) } ?? .null),
            ("topk_threshold", checkpoint.calibration.threshold.map { .double(Double($0)) } ?? .null),
            ("versions", versions),
        ] + provenance)
    }

    private var versions: OrderedJSON {
        .object([("tool", .string(ToolVersion.string)), ("openblas", .string(BLAS.coreName ?? "unknown"))])
    }

    func config() -> OrderedJSON {
        let sae = inputs.sae, hook = inputs.hook
        return .object([
            ("timestamp", .string(checkpoint.timestamp)),
            ("model_name", .string(options.modelDirectory.standardizedFileURL.lastPathComponent)),
            ("sae_path", .string(options.saeDirectory.standardizedFileURL.path)),
            ("layer", .int(hook.layer)),
            ("hook_name", .string(hook.point.rawValue)),
            ("data_path", .string(options.corpusFile.standardizedFileURL.path)),
            ("batch_size", .int(options.batchTexts)),
            ("tool", .string("sae-report")),
            ("tool_version", .string(ToolVersion.string)),
            ("model_path", .string(options.modelDirectory.standardizedFileURL.path)),
            ("sae_format", .string(sae.config.format.rawValue)),
            ("architecture", .string(sae.config.architecture.rawValue)),
            ("hook", .string(hook.description)),
            ("d_in", .int(sae.inputWidth)),
            ("d_sae", .int(sae.featureCount)),
            ("k", sae.config.k.map(OrderedJSON.int) ?? .null),
            ("topk_mode", inputs.topKMode.map { .string($0.rawValue) } ?? .null),
            ("ctx", .int(options.context)),
            ("batch_tokens", .int(options.batchTokens)),
            ("exclude_first_token", .bool(options.excludeFirstToken)),
            ("ablation", .string(options.ablation.rawValue)),
            ("ablation_tokens", options.ablationTokens.map(OrderedJSON.int) ?? .string("all")),
            ("calibration_tokens", .int(options.calibrationTokens)),
            ("seed", .int(Int(truncatingIfNeeded: options.features.seed))),
            ("hashes", checkpoint.inputHashes.json),
            ("versions", versions),
        ])
    }

    /// Runs the per-feature analysis over the finished database and writes the analysis directory; returns its
    /// stage timings.
    func writeAnalysis(to staged: StagedAnalysisDirectory, collector: ActivationCollector,
                       started: Date) throws -> URL {
        let sae = inputs.sae, weights = inputs.weights, config = inputs.spec, layout = staged.layout
        let database = try collector.finish()
        let analysis = try FeatureAnalysis(
            database: database, statistics: collector.statistics, topExamples: collector.topExamples,
            decoder: FloatTensor(shape: [sae.featureCount, sae.inputWidth], values: sae.decoderWeight),
            // Logit effects read W_dec·W_Uᵀ, which means something for features written to the residual stream, not for
            // per-head attn.hook_z features (those would go through W_O first).
            unembedding: weights.isComplete && inputs.hook.point != .attnZ
                ? FloatTensor(shape: [config.vocabSize, config.hiddenSize], values: weights.head) : nil,
            finalNormWeight: weights.finalNormWeight, options: options.features,
            similarityMatrix: staged.url(layout.similarityMatrix), cooccurrenceMatrix: staged.url(layout.cooccurrenceMatrix))
        var record = self
        record.timings += analysis.timings.map { ($0.stage, $0.seconds) }
        record.timings.append(("total_before_writing", Date().timeIntervalSince(started)))
        let run = AnalysisRunInfo(
            model: options.modelDirectory.standardizedFileURL.lastPathComponent,
            saePath: sae.directory?.path ?? options.saeDirectory.path, layer: inputs.hook.layer,
            hookName: inputs.hook.point.rawValue, datasetSize: checkpoint.corpus.texts, config: record.config(),
            results: record.results(), trainingDeadFeatureIDs: state.sparsity.result.trainingDeadFeatureIds)
        let historyPNG = sae.history.flatMap { history in TrainingHistoryChart.png(curves: history.curves) }
        let tokenizer = inputs.tokenizer
        try ArtifactWriter.write(staged, run: run, database: database, analysis: analysis,
                                 tokenTexts: { tokenizer.displayPieces($0) }, trainingHistoryPNG: historyPNG)
        return staged.destination
    }
}
