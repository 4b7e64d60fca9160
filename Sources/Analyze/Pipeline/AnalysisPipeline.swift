import Foundation

/// The one pass over the corpus: tokenize, forward each packed batch to the hook once, encode with the SAE, feed
/// every accumulator and the on-disk activation database, and (on the ablation batches) run the rest of the model
/// from the same captured prefix for the clean, SAE-spliced and ablated variants. Then the per-feature analysis
/// and the artifacts.
public final class AnalysisPipeline {
    public let options: AnalysisOptions
    private let progress: (AnalysisProgress) -> Void
    private var timings: [(String, Double)] = []
    private var clock = Date()
    private let started = Date()

    public init(options: AnalysisOptions, progress: @escaping (AnalysisProgress) -> Void = { _ in }) {
        self.options = options
        self.progress = progress
    }

    /// What a run produced.
    public struct Outcome {
        /// `analysis_results` as written (or as it would be, for `quick`).
        public var results: OrderedJSON
        /// The analysis directory, when one was written.
        public var directory: URL?
        public var tokenCount: Int
        public var seconds: Double
    }

    private func lap(_ stage: String) {
        timings.append((stage, Date().timeIntervalSince(clock)))
        clock = Date()
    }

    public func run() throws -> Outcome {
        if let threads = options.threads { BLAS.setThreadCount(threads) }

        // Inputs, all checked before any output exists.
        let corpus = try Corpus(contentsOf: options.corpusFile)
        let sae = try SparseAutoencoder(directory: options.saeDirectory)
        let tokenizer = try Tokenizer(modelDirectory: options.modelDirectory)
        let config = try Qwen3Config(contentsOf: options.modelDirectory.appendingPathComponent("config.json"))
        let hookName = try SAEHookCheck.resolve(sae: sae.config, requestedHook: options.hook, requestedLayer: options.layer,
                                                modelWidth: config.hiddenSize)
        let hook = try Hook(parsing: hookName, layerCount: config.layerCount)
        let needsSuffix = options.ablation != .none
        let needsHead = needsSuffix || options.featureAnalysis
        let weights = try Qwen3Weights(modelDirectory: options.modelDirectory, blockCount: needsHead ? nil : hook.layer + 1)
        let model = Qwen3Model(weights: weights, contextLength: options.context)
        // Output staging, before any long work so an unwritable output fails at once (nothing is visible at the
        // destination until the end).
        let layout = AnalysisLayout(timestamp: AnalysisLayout.timestamp(for: started))
        let staged = try options.output.map { try StagedAnalysisDirectory(destination: $0, layout: layout) }
        lap("load")

        // Tokenize (texts in parallel), then pack into batches.
        var textIndices = corpus.usedIndices
        if let maxTexts = options.maxTexts { textIndices = Array(textIndices.prefix(max(1, maxTexts))) }
        let texts = textIndices.map { corpus.texts[$0] }
        var tokenized = [[Int32]](repeating: [], count: texts.count)
        tokenized.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: texts.count) { base[$0] = tokenizer.encode(texts[$0]) }
        }
        var skipped = corpus.skipped
        for (local, ids) in tokenized.enumerated() where ids.isEmpty {
            skipped.append(Corpus.Skipped(textIdx: textIndices[local], reason: "no tokens"))
        }
        let batches = pack(tokenized)
        let totalTokens = batches.reduce(0) { $0 + $1.tokenCount }
        guard totalTokens > 0 else { throw InputError("no text in the corpus produced any token", url: options.corpusFile) }
        lap("tokenize")

        // Calibration sample: evenly spaced batches; their hook activations are kept and reused by the main pass.
        let calibrationBatches = evenlySpaced(batches, tokens: options.calibrationTokens)
        var captured: [Int: HookCapture] = [:]
        var calibrator = sae.config.architecture.isTopK ? try ThresholdCalibrator(sae: sae) : nil
        var meanSum = [Double](repeating: 0, count: config.hiddenSize)
        var meanCount = 0
        let topKMode = sae.config.architecture.isTopK ? (options.topKMode ?? .default(for: sae.config.architecture)) : nil
        let needsCalibration = topKMode == .threshold || options.ablation == .mean || options.ablation == .both
        var forwardSeconds = 0.0
        let calibrationStart = Date()
        if needsCalibration {
            for index in calibrationBatches {
                let t0 = Date()
                let capture = try model.forward(batches[index], stopAt: hook)
                forwardSeconds += Date().timeIntervalSince(t0)
                captured[index] = capture
                calibrator?.add(capture.activations.values, rows: capture.activations.rows)
                let d = config.hiddenSize
                for row in 0..<capture.activations.rows {
                    for j in 0..<d { meanSum[j] += Double(capture.activations.values[row * d + j]) }
                }
                meanCount += capture.activations.rows
                progress(AnalysisProgress(stage: "calibration", tokensDone: meanCount, tokensTotal: totalTokens,
                                          elapsed: Date().timeIntervalSince(calibrationStart)))
            }
        }
        let threshold = topKMode == .threshold ? calibrator?.threshold() : nil
        let encoder = try SAEEncoder(sae: sae, topKMode: topKMode, threshold: threshold)
        let mean = meanSum.map { Float($0 / Double(max(1, meanCount))) }
        let calibrationSeconds = Date().timeIntervalSince(calibrationStart)
        lap("calibration")

        // The database's column files live beside the staging directory (not in it) and are removed in any case.
        let columns = staged.map {
            $0.staging.deletingLastPathComponent().appendingPathComponent(".\($0.destination.lastPathComponent).columns-\(UUID().uuidString)")
        }
        defer { if let columns { try? FileManager.default.removeItem(at: columns) } }
        var collector = try columns.map {
            try ActivationCollector(directory: $0, featureCount: sae.featureCount, topExamples: options.features.topExamples)
        }

        // The pass.
        var sparsity = SparsityAccumulator(featureCount: sae.featureCount, trainingEverFired: sae.everFired)
        var reconstruction = ReconstructionAccumulator(dimension: sae.inputWidth)
        var downstream = DownstreamAccumulator(vocabularySize: config.vocabSize)
        let ablationBatches = Set(options.ablationTokens.map { evenlySpaced(batches, tokens: $0) } ?? Array(batches.indices))
        var ablatedTokens = 0
        var done = 0
        let passStart = Date()
        var ablationSeconds = 0.0
        for (index, batch) in batches.enumerated() {
            let t0 = Date()
            let capture = try captured.removeValue(forKey: index) ?? model.forward(batch, stopAt: hook)
            forwardSeconds += Date().timeIntervalSince(t0)
            let x = capture.activations.values
            let isFirst = firstTokenFlags(batch)
            let codes = encoder.encode(x, rows: batch.tokenCount)
            let reconstructed = sae.decode(codes)
            sparsity.add(codes, isFirst: isFirst)
            reconstruction.add(original: x, reconstruction: reconstructed, isFirst: isFirst)
            try collector?.add(codes, tokens: tokenRecords(batch, textIndices: textIndices))

            if needsSuffix && ablationBatches.contains(index) {
                let t1 = Date()
                try ablate(model: model, batch: batch, capture: capture, reconstruction: reconstructed, mean: mean,
                           isFirst: isFirst, into: &downstream)
                ablatedTokens += batch.tokenCount
                ablationSeconds += Date().timeIntervalSince(t1)
            }
            done += batch.tokenCount
            progress(AnalysisProgress(stage: needsSuffix ? "activations + ablation" : "activations", tokensDone: done,
                                      tokensTotal: totalTokens, elapsed: Date().timeIntervalSince(passStart)))
        }
        // The calibration batches' forward is part of the one pass (their activations are reused), so it counts here.
        let passSeconds = Date().timeIntervalSince(passStart) + calibrationSeconds
        lap("activation_pass")

        let sparsityResult = sparsity.result
        let reconstructionResult = reconstruction.result
        let downstreamResult = needsSuffix ? downstream.result : nil
        var results = ResultsDocument.build(
            sparsity: sparsityResult, reconstruction: reconstructionResult, downstream: downstreamResult,
            primary: options.excludeFirstToken ? .withoutFirstToken : .allTokens, featureCount: sae.featureCount)
        var warnings = ResultsDocument.warnings(sparsity: sparsityResult, downstream: downstreamResult,
                                                skipped: skipped, featureCount: sae.featureCount)
        if let ablationTokens = options.ablationTokens, needsSuffix, ablatedTokens < totalTokens {
            warnings.append("the ablation study ran on \(ablatedTokens) of \(totalTokens) tokens (evenly spaced batches, "
                            + "--ablation-tokens \(ablationTokens)); use --ablation-tokens all for every token")
        }
        results.set("warnings", .array(warnings.map(OrderedJSON.string)))

        guard let staged, let collector else {
            timings.append(("total", Date().timeIntervalSince(started)))
            results.set("run", runBlock(corpus: corpus, used: textIndices.count, skipped: skipped, tokens: totalTokens,
                                        passSeconds: passSeconds, forwardSeconds: forwardSeconds, ablationSeconds: ablationSeconds,
                                        ablatedTokens: ablatedTokens, topKMode: topKMode, threshold: threshold))
            return Outcome(results: results, directory: nil, tokenCount: totalTokens, seconds: Date().timeIntervalSince(started))
        }

        // Per-feature analysis over the on-disk database.
        progress(AnalysisProgress(stage: "features", tokensDone: totalTokens, tokensTotal: totalTokens,
                                  elapsed: Date().timeIntervalSince(passStart)))
        let database = try collector.finish()
        let analysis = try FeatureAnalysis(
            database: database, statistics: collector.statistics, topExamples: collector.topExamples,
            decoder: FloatTensor(shape: [sae.featureCount, sae.inputWidth], values: sae.decoderWeight),
            unembedding: weights.isComplete ? FloatTensor(shape: [config.vocabSize, config.hiddenSize], values: weights.head) : nil,
            finalNormWeight: weights.finalNorm, options: options.features,
            similarityMatrix: staged.url(layout.similarityMatrix), cooccurrenceMatrix: staged.url(layout.cooccurrenceMatrix))
        for (stage, seconds) in analysis.timings { timings.append((stage, seconds)) }
        clock = Date()

        timings.append(("total_before_writing", Date().timeIntervalSince(started)))
        results.set("run", runBlock(corpus: corpus, used: textIndices.count, skipped: skipped, tokens: totalTokens,
                                    passSeconds: passSeconds, forwardSeconds: forwardSeconds, ablationSeconds: ablationSeconds,
                                    ablatedTokens: ablatedTokens, topKMode: topKMode, threshold: threshold))
        let hashes = try fileHashes(sae: sae)
        let run = AnalysisRunInfo(
            model: options.modelDirectory.standardizedFileURL.lastPathComponent, saePath: sae.directory?.path ?? options.saeDirectory.path,
            layer: hook.layer, hookName: hook.point.rawValue, datasetSize: corpus.texts.count,
            config: runConfig(hook: hook, sae: sae, topKMode: topKMode, hashes: hashes, layout: layout),
            results: results, trainingDeadFeatureIDs: sparsityResult.trainingDeadFeatureIds)
        let historyPNG = sae.history.flatMap { history in options.renderTrainingHistory?(history) }
        try ArtifactWriter.write(staged, run: run, database: database, analysis: analysis,
                                 tokenText: { tokenizer.displayPiece($0) }, trainingHistoryPNG: historyPNG)
        return Outcome(results: results, directory: staged.destination, tokenCount: totalTokens,
                       seconds: Date().timeIntervalSince(started))
    }

    // MARK: - Pieces

    /// Batches by token budget, or (seed-compatible `batch` top-k) by `batchTexts` texts so that each batch is one pool.
    private func pack(_ tokenized: [[Int32]]) -> [PackedBatch] {
        if options.topKMode == .batch {
            var batches: [PackedBatch] = []
            for start in stride(from: 0, to: tokenized.count, by: options.batchTexts) {
                var batch = PackedBatch()
                for text in start..<min(start + options.batchTexts, tokenized.count) {
                    for offset in stride(from: 0, to: tokenized[text].count, by: options.context) {
                        batch.append(tokenized[text][offset..<min(offset + options.context, tokenized[text].count)],
                                     text: text, start: offset)
                    }
                }
                if batch.tokenCount > 0 { batches.append(batch) }
            }
            return batches
        }
        return PackedBatch.pack(tokenized, context: options.context, maxTokens: options.batchTokens)
    }

    /// Indices of evenly spaced batches holding about `tokens` tokens in all (at least one batch).
    private func evenlySpaced(_ batches: [PackedBatch], tokens: Int) -> [Int] {
        let total = batches.reduce(0) { $0 + $1.tokenCount }
        guard tokens < total, !batches.isEmpty else { return Array(batches.indices) }
        let fraction = Double(tokens) / Double(total)
        var chosen: [Int] = []
        var credit = 0.0
        for (index, batch) in batches.enumerated() {
            credit += fraction * Double(batch.tokenCount)
            if credit >= Double(batch.tokenCount) / 2 || (index == batches.count - 1 && chosen.isEmpty) {
                chosen.append(index)
                credit -= Double(batch.tokenCount)
            }
        }
        return chosen
    }

    private func firstTokenFlags(_ batch: PackedBatch) -> [Bool] {
        var flags = [Bool](repeating: false, count: batch.tokenCount)
        for sequence in batch.sequences { flags[sequence.rows.lowerBound] = true }
        return flags
    }

    private func tokenRecords(_ batch: PackedBatch, textIndices: [Int]) -> [TokenRecord] {
        var records: [TokenRecord] = []
        records.reserveCapacity(batch.tokenCount)
        for sequence in batch.sequences {
            for (offset, row) in sequence.rows.enumerated() {
                records.append(TokenRecord(tokenID: batch.tokens[row], textIndex: Int32(textIndices[sequence.text]),
                                           position: Int32(sequence.start + offset)))
            }
        }
        return records
    }

    /// Runs the suffix of the model from the hook for each variant and feeds the next-token statistics,
    /// `chunkRows` positions of logits at a time.
    private func ablate(model: Qwen3Model, batch: PackedBatch, capture: HookCapture, reconstruction: [Float], mean: [Float],
                        isFirst: [Bool], into downstream: inout DownstreamAccumulator) throws {
        let n = batch.tokenCount, d = model.config.hiddenSize, vocabulary = model.config.vocabSize
        func replaced(_ values: [Float]) -> HookCapture {
            var copy = capture
            copy.activations = Activations(rows: n, width: d, values: values)
            return copy
        }
        let clean = try model.continueForward(from: capture, batch: batch)
        let spliced = try model.continueForward(from: replaced(reconstruction), batch: batch)
        let wantsZero = options.ablation == .zero || options.ablation == .both
        // On a model without biases a zeroed residual stream stays exactly zero through every later block and the
        // final RMSNorm, so its logits are all zero: skip the suffix and use zero logits (same numbers, no FLOPs).
        let zeroIsUniform = wantsZero && Self.zeroResidualGivesZeroLogits(model.config, hook: capture.hook)
        let zero = wantsZero && !zeroIsUniform
            ? try model.continueForward(from: replaced([Float](repeating: 0, count: n * d)), batch: batch) : nil
        let meanAblated = options.ablation == .mean || options.ablation == .both
            ? try model.continueForward(from: replaced((0..<n).flatMap { _ in mean }), batch: batch) : nil

        var targets = [Int32](repeating: -1, count: n)
        for sequence in batch.sequences {
            for row in sequence.rows.dropLast() { targets[row] = batch.tokens[row + 1] }
        }
        let chunkRows = max(8, min(256, (64 << 20) / (vocabulary * 4)))
        for start in stride(from: 0, to: n, by: chunkRows) {
            let rows = start..<min(start + chunkRows, n)
            func logits(_ hidden: Activations?) -> [Float]? {
                guard let hidden else { return nil }
                return [Float](unsafeUninitializedCapacity: rows.count * vocabulary) { buffer, count in
                    model.logits(hidden, rows: rows, into: buffer)
                    count = rows.count * vocabulary
                }
            }
            let zeroLogits = zeroIsUniform ? [Float](repeating: 0, count: rows.count * vocabulary) : logits(zero)
            downstream.add(LogitBatch(clean: logits(clean)!, spliced: logits(spliced)!, zeroAblated: zeroLogits,
                                      meanAblated: logits(meanAblated), targets: Array(targets[rows]), isFirst: Array(isFirst[rows])),
                           endsBatch: rows.upperBound == n)
        }
    }

    /// Whether replacing the residual stream at `hook` by zeros gives all-zero logits: true for residual hooks of
    /// models without attention biases (RMSNorm(0) = 0, bias-free projections of 0 are 0, SiLU(0)·0 = 0).
    static func zeroResidualGivesZeroLogits(_ config: Qwen3Config, hook: Hook) -> Bool {
        guard !config.attentionBias else { return false }
        switch hook.point {
        case .residPre, .residMid, .residPost: return true
        case .attnOut, .mlpOut: return false
        }
    }

    private func runBlock(corpus: Corpus, used: Int, skipped: [Corpus.Skipped], tokens: Int, passSeconds: Double,
                          forwardSeconds: Double, ablationSeconds: Double, ablatedTokens: Int, topKMode: TopKMode?,
                          threshold: Float?) -> OrderedJSON {
        .object([
            ("n_texts", .int(corpus.texts.count)),
            ("n_texts_used", .int(used)),
            ("n_tokens", .int(tokens)),
            ("n_tokens_ablation", .int(ablatedTokens)),
            ("skipped_texts", .array(skipped.map { .object([("text_idx", .int($0.textIdx)), ("reason", .string($0.reason))]) })),
            ("timings_s", .object(timings.map { ($0.0, .double($0.1)) } + [
                ("forward_to_hook", .double(forwardSeconds)), ("ablation_suffix", .double(ablationSeconds)),
            ])),
            ("tokens_per_second", .double(passSeconds > 0 ? Double(tokens) / passSeconds : 0)),
            ("topk_mode", topKMode.map { .string($0.rawValue) } ?? .null),
            ("topk_threshold", threshold.map { .double(Double($0)) } ?? .null),
            ("versions", .object([("tool", .string(ToolVersion.string)), ("openblas", .string(BLAS.coreName ?? "unknown"))])),
        ])
    }

    private func fileHashes(sae: SparseAutoencoder) throws -> OrderedJSON {
        func hashFiles(in directory: URL, matching: (String) -> Bool) throws -> OrderedJSON {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter(matching).sorted()
            return .object(try names.map { ($0, .string(try FileHash.sha256(of: directory.appendingPathComponent($0)))) })
        }
        return .object([
            ("model", try hashFiles(in: options.modelDirectory) { $0.hasSuffix(".json") || $0.hasSuffix(".safetensors") }),
            ("sae", try hashFiles(in: options.saeDirectory) { $0.hasSuffix(".json") || $0.hasSuffix(".pt") || $0.hasSuffix(".safetensors") }),
            ("corpus", .string(try FileHash.sha256(of: options.corpusFile))),
        ])
    }

    private func runConfig(hook: Hook, sae: SparseAutoencoder, topKMode: TopKMode?, hashes: OrderedJSON,
                           layout: AnalysisLayout) -> OrderedJSON {
        .object([
            ("timestamp", .string(layout.timestamp)),
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
            ("topk_mode", topKMode.map { .string($0.rawValue) } ?? .null),
            ("ctx", .int(options.context)),
            ("batch_tokens", .int(options.batchTokens)),
            ("exclude_first_token", .bool(options.excludeFirstToken)),
            ("ablation", .string(options.ablation.rawValue)),
            ("ablation_tokens", options.ablationTokens.map(OrderedJSON.int) ?? .string("all")),
            ("calibration_tokens", .int(options.calibrationTokens)),
            ("seed", .int(Int(truncatingIfNeeded: options.features.seed))),
            ("hashes", hashes),
            ("versions", .object([("tool", .string(ToolVersion.string)), ("openblas", .string(BLAS.coreName ?? "unknown"))])),
        ])
    }
}
