import Charts
import Formats
import Foundation
import LMRuntime
import Parallelism

/// What a run records about itself: the metric blocks and `run` block of `analysis_results`, and `config_<ts>.json`.
/// Built from a pass state, so a single run, a resumed run and merged shards describe themselves the same way.
struct RunRecord {
    let options: AnalysisOptions
    let inputs: AnalysisInputs
    let checkpoint: PassCheckpoint
    /// Wall-clock seconds per stage of this process.
    var timings: [(stage: String, seconds: Double)]
    /// How the state came to be (resumed, merged from shards), for the `run` block.
    var provenance: [AnalysisResults.Provenance] = []
    var extraWarnings: [String] = []
    /// The pass's hook activations, for the loss effects' clean windows.
    var captures: PassCaptures?

    var state: PassState { checkpoint.state }

    /// The run's results, typed; built once per run, after its last timing is in.
    func results() -> AnalysisResults {
        let sparsity = state.sparsity.result, reconstruction = state.reconstruction.result
        let downstream = options.pass.ablation != .none ? state.downstream.result : nil
        let dSae = inputs.sae.dSae
        let primary: TokenVariant = options.pass.excludeFirstToken ? .withoutFirstToken : .allTokens
        var warnings =
            inputs.warnings
            + AnalysisResults.warnings(
                sparsity: sparsity, downstream: downstream,
                skipped: checkpoint.corpus.skipped, dSae: dSae)
        if let ablationTokens = options.pass.ablationTokens, let downstream, state.ablatedTokens < state.rows {
            let m = downstream.metrics[primary]
            func plusMinus(_ name: String, _ value: Double?, _ error: Double?) -> String? {
                guard let value, let error else { return nil }
                return "\(name) \(String(format: "%.4g", value)) ± \(String(format: "%.2g", error))"
            }
            let precision = [
                plusMinus("ΔCE", m.deltaCE, m.standardErrors.deltaCE),
                plusMinus("KL", m.klSpliced, m.standardErrors.klSpliced),
                plusMinus("loss recovered (mean ablation)", m.lossRecoveredMean, m.standardErrors.lossRecoveredMean),
                plusMinus("loss recovered (zero ablation)", m.lossRecoveredZero, m.standardErrors.lossRecoveredZero),
            ]
            .compactMap { $0 }
            warnings.append(
                "the ablation study ran on \(state.ablatedTokens) of \(checkpoint.corpus.tokens) tokens (evenly spaced batches, "
                    + "--ablation-tokens \(ablationTokens)); use --ablation-tokens all for every token"
                    + (precision.isEmpty ? "" : "; standard errors clustered by sequence: " + precision.joined(separator: ", ")))
        }
        let corpus = checkpoint.corpus
        var run = AnalysisResults.RunFacts(
            texts: corpus.texts, textsUsed: corpus.textsUsed, tokens: state.rows, ablatedTokens: state.ablatedTokens,
            skipped: corpus.skipped, timings: timings, passSeconds: state.passSeconds,
            forwardSeconds: state.forwardSeconds, ablationSeconds: state.ablationSeconds,
            topKMode: inputs.topKMode, topKThreshold: checkpoint.calibration.threshold, provenance: provenance)
        var notComputed: String?
        if let folder = inputs.activations {
            notComputed =
                "the activations were read from \(folder.url.standardizedFileURL.lastPathComponent)/ without the model "
                + "(analyze --activations), and the ablation study runs the layers after the hook"
            warnings.append("ablation study not computed: \(notComputed!)")
        }
        run.excluded = exclusions
        warnings += exclusions.warnings
        var results = AnalysisResults(
            primary: primary, dSae: dSae, sparsity: sparsity,
            reconstruction: reconstruction, downstream: downstream,
            warnings: warnings + extraWarnings, run: run)
        results.ablationNotComputed = notComputed
        return results
    }

    /// The model's name: its directory's, or the one an activation folder's manifest records.
    var modelName: String {
        inputs.activations?.manifest.modelName ?? options.paths.model.standardizedFileURL.lastPathComponent
    }

    /// What the pass left out (`PositionExclusion`), and how texts started.
    var exclusions: AnalysisResults.Exclusions {
        var exclusions = AnalysisResults.Exclusions()
        switch inputs.specialTokens.start {
        case .tokenizerDefault: exclusions.sequenceStart = "tokenizer default"
        case .none: exclusions.sequenceStart = "no special tokens"
        case .bos(let id): exclusions.sequenceStart = "BOS \(id)"
        }
        exclusions.keepSpecialTokens = options.pass.keepSpecialTokens
        exclusions.specialTokens = state.excludedSpecial
        exclusions.highNormFactor = options.pass.ignoreHighNorm
        exclusions.medianNorm = checkpoint.calibration.medianNorm
        exclusions.highNorm = state.excludedHighNorm
        return exclusions
    }

    func config() -> OrderedJSON {
        let sae = inputs.sae, hook = inputs.hook
        // Optional values spelled out one by one: one literal with all of them is too much for the type checker.
        let k: OrderedJSON = sae.config.k.map(OrderedJSON.int) ?? .null
        let topKMode: OrderedJSON = inputs.topKMode.map { .string($0.rawValue) } ?? .null
        let prependedBOS: OrderedJSON = inputs.specialTokens.prependedBOS.map { .int(Int($0)) } ?? .null
        let highNorm: OrderedJSON = options.pass.ignoreHighNorm.map(OrderedJSON.double) ?? .null
        let prependBOS: OrderedJSON = sae.config.metadata.prependBOS.map(OrderedJSON.bool) ?? .null
        let hookpoint: OrderedJSON = options.pass.sae.hookpoint.map(OrderedJSON.string) ?? .null
        let site: OrderedJSON = options.pass.sae.site.map { .string($0.rawValue) } ?? .null
        let ablationTokens: OrderedJSON = options.pass.ablationTokens.map(OrderedJSON.int) ?? .string("all")
        var config: OrderedJSON = .object([
            ("timestamp", .string(checkpoint.timestamp)),
            ("model_name", .string(modelName)),
            ("sae_path", .string(options.paths.sae.standardizedFileURL.path)),
            ("layer", .int(hook.layer)),
            ("hook_name", .string(hook.point.rawValue)),
            ("data_path", .string(options.paths.corpus.standardizedFileURL.path)),
            ("batch_size", .int(options.pass.batchTexts)),
            ("tool", .string("sae-report")),
            ("tool_version", .string(ToolVersion.string)),
            ("model_path", .string(options.paths.model.standardizedFileURL.path)),
            ("sae_format", .string(sae.config.format.rawValue)),
            ("architecture", .string(sae.config.architecture.rawValue)),
            ("hook", .string(hook.description)),
            ("d_in", .int(sae.dIn)),
            ("d_sae", .int(sae.dSae)),
            ("k", k),
            ("topk_mode", topKMode),
            ("ctx", .int(options.pass.context)),
            ("batch_tokens", .int(options.pass.batchTokens)),
            ("prepended_bos", prependedBOS),
            ("centered_residual", .bool(inputs.view.centered)),
            ("exclude_first_token", .bool(options.pass.excludeFirstToken)),
            ("keep_special_tokens", .bool(options.pass.keepSpecialTokens)),
            ("ignore_high_norm", highNorm),
            ("prepend_bos", prependBOS),
            ("sae_hookpoint", hookpoint),
            ("sae_site", site),
            ("ablation", .string(options.pass.ablation.rawValue)),
            ("ablation_tokens", ablationTokens),
            ("calibration_tokens", .int(options.pass.calibrationTokens)),
            ("seed", .int(Int(truncatingIfNeeded: options.features.seed))),
            ("hashes", checkpoint.inputHashes.json),
            ("versions", AnalysisResults.versions),
        ])
        if let folder = inputs.activations {
            config.set("model_path", options.paths.unembedding.map { .string($0.standardizedFileURL.path) } ?? .null)
            config.set("data_path", .string(folder.url.standardizedFileURL.path))
            config.set("ctx", folder.manifest.context.map(OrderedJSON.int) ?? .null)
            config.set("activations_path", .string(folder.url.standardizedFileURL.path))
            config.set("unembedding_path", options.paths.unembedding.map { .string($0.standardizedFileURL.path) } ?? .null)
        }
        return config
    }

    /// The stages after the pass, shared by a single run, a resumed run and a merge: the feature stage over the
    /// finished database, then the artifact stage, which writes and commits the analysis directory. Returns the
    /// results as written.
    func finishAnalysis(
        in staged: StagedAnalysisDirectory, collector: ActivationCollector,
        started: Date
    ) throws -> AnalysisResults {
        let (database, analysis) = try featureStage(collector: collector, staged: staged)
        var record = self
        record.timings += analysis.timings.map { ($0.stage, $0.seconds) }
        if let effects = analysis.lossEffects, effects.skipped > 0 {
            let reason =
                options.features.lossEffectRows.map { "exceed --loss-effect-rows \($0) (use all for every one)" }
                ?? "sit in model windows that could not be rebuilt (the corpus no longer tokenizes as the pass ran it)"
            record.extraWarnings.append(
                "loss effects were computed for \(effects.effects.count) of \(effects.effects.count + effects.skipped) top examples "
                    + "(--loss-effects \(options.features.lossEffectExamples) per feature, best first); the rest \(reason)")
        }
        record.timings.append(("total_before_writing", Date().timeIntervalSince(started)))
        let results = record.results()
        try record.artifactStage(staged, results: results, database: database, analysis: analysis)
        return results
    }

    /// Per-feature statistics, examples, logit effects, decoder similarity, co-occurrence and clusters.
    func featureStage(
        collector: ActivationCollector,
        staged: StagedAnalysisDirectory
    ) throws -> (ActivationDatabase, FeatureAnalysis) {
        let sae = inputs.sae, layout = staged.layout
        let database = try collector.finish()
        var analysis = try FeatureAnalysis(
            database: database, statistics: collector.statistics, topExamples: collector.topExamples,
            decoder: FloatTensor(shape: [sae.dSae, sae.dIn], values: sae.decoderWeight),
            // Logit effects read W_dec·W_Uᵀ, which means something for features written to the residual stream, not for
            // per-head attn.hook_z features (those would go through W_O first).
            unembedding: inputs.hook.point != .attnZ ? inputs.unembedding?.matrix : nil,
            finalNormWeight: inputs.unembedding?.finalNormWeight, options: options.features,
            similarityMatrix: staged.url(layout.similarityMatrix), cooccurrenceMatrix: staged.url(layout.cooccurrenceMatrix))
        try addBrowsingData(to: &analysis, database: database)
        return (database, analysis)
    }

    /// The corpus browser's text sample (from the database) and the loss effects of the first top examples of
    /// every feature (the model rerun with each feature removed at its example; needs the whole model).
    private func addBrowsingData(to analysis: inout FeatureAnalysis, database: ActivationDatabase) throws {
        let options = options.features
        var clock = Date()
        if options.browseTexts > 0 {
            analysis.sampledTexts = SampledTexts(database: database, count: options.browseTexts)
            analysis.timings.append(("browse_texts", Date().timeIntervalSince(clock)))
        }
        guard Self.runsLossEffects(options: self.options, inputs: inputs) else { return }
        clock = Date()
        // Rank by rank: every feature's best example first, so a budget spreads over the features.
        let requests = (0..<options.lossEffectExamples).flatMap { rank in
            analysis.reports.compactMap { report in
                report.topExamples.indices.contains(rank)
                    ? ExampleLossEffects.Request(
                        feature: report.feature, row: report.topExamples[rank].row,
                        activation: report.topExamples[rank].activation)
                    : nil
            }
        }
        let windows = passWindows(texts: Set(requests.map { Int(database.token($0.row).textIndex) }))
        let (chosen, skipped) = ExampleLossEffects.selection(
            requests, database: database, windows: windows, radius: options.contextRadius,
            rowBudget: options.lossEffectRows)
        let captures = captures
        analysis.lossEffects = try ExampleLossEffects(
            requests: chosen, database: database, windows: windows, model: inputs.model, hook: inputs.hook,
            sae: inputs.sae, radius: options.contextRadius,
            captures: { text, tokens in captures?.capture(text: text, tokens: tokens) })
        analysis.lossEffects?.skipped = skipped
        analysis.timings.append(("loss_effects", Date().timeIntervalSince(clock)))
    }

    /// Whether the loss effects run: asked for, and the whole model is here to rerun (not with an activation folder,
    /// nor when only the blocks to the hook loaded).
    static func runsLossEffects(options: AnalysisOptions, inputs: AnalysisInputs) -> Bool {
        options.features.lossEffectExamples > 0 && inputs.activations == nil && inputs.unembedding != nil
    }

    /// The pass's ids of `texts` (corpus indices), left-out positions included, tokenized again exactly as
    /// `CorpusBatches` tokenized them (the database keeps only the positions in the statistics).
    private func passWindows(texts: Set<Int>) -> PassWindows {
        let corpus = inputs.corpus!, indices = texts.sorted(), context = options.pass.context
        var ids = [[Int32]](repeating: [], count: indices.count)
        ids.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallelism.forEach(indices.count) {
                base[$0] = inputs.specialTokens.encode(corpus.texts[indices[$0]], with: inputs.tokenizer, context: context)
            }
        }
        return PassWindows(context: context, texts: Dictionary(uniqueKeysWithValues: zip(indices, ids)))
    }

    /// Writes the analysis directory (docs/artifacts.md) and moves it into place.
    func artifactStage(
        _ staged: StagedAnalysisDirectory, results: AnalysisResults, database: ActivationDatabase,
        analysis: FeatureAnalysis
    ) throws {
        let sae = inputs.sae
        let run = AnalysisRunInfo(
            model: modelName,
            saePath: sae.directory?.path ?? options.paths.sae.path, layer: inputs.hook.layer,
            hookName: inputs.hook.point.rawValue, datasetSize: checkpoint.corpus.texts, config: config(),
            results: results)
        let historyPNG = sae.history.flatMap { history in TrainingHistoryChart.png(curves: history.curves) }
        let tokenizer = inputs.tokenizer
        try ArtifactWriter.write(
            staged, run: run, database: database, analysis: analysis,
            tokenTexts: { tokenizer.displayPieces($0) }, trainingHistoryPNG: historyPNG)
    }
}
