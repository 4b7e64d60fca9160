import Formats
import Foundation
import LMRuntime
import Parallelism
import SAECore
import Tokenizers

/// The checked inputs of a run, loaded before any output exists: corpus, SAE, tokenizer, model and hook; or, with
/// an activation folder (`analyze --activations`), the folder in place of the corpus and the model.
struct AnalysisInputs {
    /// nil with an activation folder.
    let corpus: Corpus?
    /// The activation folder the pass reads instead of running the model.
    let activations: ActivationFolder?
    let sae: SparseAutoencoder
    let tokenizer: Tokenizer
    let hook: Hook
    let vocabularySize: Int
    /// `W_U` and the final norm, for the logit effects (nil when not loaded).
    let unembedding: Unembedding?
    let model: any LanguageModel
    /// nil for SAEs without top-k.
    let topKMode: TopKMode?
    /// Whether texts start with BOS, and which ids are special.
    let specialTokens: SpecialTokens
    /// The residual view the SAE was trained with.
    let view: SAEInputView
    /// What the run's results must warn about the inputs (an SAE run on another model family).
    var warnings: [String] = []

    init(options: AnalysisOptions) throws {
        if let folder = options.paths.activations {
            try self.init(activations: folder, options: options)
        } else {
            try self.init(
                modelAndCorpus: options, preloaded: Preloaded(options: options),
                tokenizer: Result { try Tokenizer(modelDirectory: options.paths.model) })
        }
    }

    /// What a model-and-corpus run loads without the tokenizer (so the two can load side by side): the corpus, the
    /// SAE, the model's config, hook and family check, which throw in that order; and the weights, whose error is kept
    /// to be reported after the tokenizer's, where it always was.
    private struct Preloaded {
        var corpus: Corpus
        var sae: SparseAutoencoder
        var spec: DecoderSpec
        var hook: Hook
        var warnings: [String]
        var weights: Result<ModelWeights, Error>

        init(options: AnalysisOptions) throws {
            corpus = try Corpus(contentsOf: options.paths.corpus)
            sae = try SparseAutoencoder(directory: options.paths.sae, options: options.pass.sae.loadOptions)
            spec = try DecoderSpec(contentsOf: options.paths.model.appendingPathComponent("config.json"))
            hook = try AnalysisInputs.hook(reading: sae, in: spec, at: options.paths.model, options: options)
            warnings =
                try AnalysisInputs.modelFamilyWarning(reading: sae, in: spec, at: options.paths.model, options: options)
                .map { [$0] } ?? []
            // The head is needed for the ablation suffix and for the logit effects of the feature analysis.
            let needsHead = options.pass.ablation != .none || options.pass.featureAnalysis
            let (spec, blockCount) = (spec, needsHead ? nil : hook.blocksNeeded)
            weights = Result {
                try ModelWeights(
                    spec: spec, checkpoint: SafetensorsCheckpoint(directory: options.paths.model), blockCount: blockCount,
                    dtype: options.pass.dtype)
            }
        }
    }

    private init(modelAndCorpus options: AnalysisOptions, preloaded: Preloaded, tokenizer: Result<Tokenizer, Error>) throws {
        corpus = preloaded.corpus
        activations = nil
        sae = preloaded.sae
        hook = preloaded.hook
        warnings += preloaded.warnings
        self.tokenizer = try tokenizer.get()
        specialTokens = try SpecialTokens(
            tokenizer: self.tokenizer, modelDirectory: options.paths.model, prependBOS: sae.config.metadata.prependBOS)
        if specialTokens.prependedBOS != nil && options.pass.context < 2 {
            throw InputError(
                "the SAE was trained with prepend_bos: every model window starts with BOS, so --ctx must be at least 2, "
                    + "not \(options.pass.context)", url: options.paths.sae)
        }
        let weights = try preloaded.weights.get()
        vocabularySize = preloaded.spec.vocabSize
        unembedding = Unembedding(weights: weights)
        model = DecoderModel(weights: weights, contextLength: options.pass.context)
        topKMode = sae.config.architecture.isTopK ? (options.pass.topKMode ?? .default(for: sae.config.architecture)) : nil
        view = SAEInputView(metadata: sae.config.metadata, spec: preloaded.spec, hook: hook)
    }

    /// The hook the run reads: the SAE's (or the requested one, which must be the SAE's), checked against the model in
    /// `modelDirectory` (it has the hook; its width there is the SAE's `d_in`), before anything else is loaded.
    static func hook(
        reading sae: SparseAutoencoder, in spec: DecoderSpec, at modelDirectory: URL, options: AnalysisOptions
    ) throws -> Hook {
        let name = try SAEHookCheck.resolve(
            sae: sae.config, requestedHook: options.pass.hook, requestedLayer: options.pass.layer,
            modelWidth: sae.config.hookName.hasSuffix(Hook.Point.attnZ.rawValue) ? spec.queryWidth : spec.hiddenSize,
            model: spec, modelConfig: modelDirectory.appendingPathComponent("config.json"))
        return try spec.hook(named: name)
    }

    /// The SAE's recorded model checked against the model's family: an error, or with `--allow-other-model` the
    /// warning the results carry.
    static func modelFamilyWarning(
        reading sae: SparseAutoencoder, in spec: DecoderSpec, at modelDirectory: URL, options: AnalysisOptions
    ) throws -> String? {
        guard SAEModelFamilyCheck.mismatch(sae: sae.config, model: spec) != nil else { return nil }
        return try SAEModelFamilyCheck.check(
            sae: sae.config,
            saeFile: SparseAutoencoder.modelRecordFile(at: options.paths.sae, options: options.pass.sae.loadOptions),
            model: spec, modelConfig: modelDirectory.appendingPathComponent("config.json"),
            allowOtherModel: options.control.allowOtherModel)
    }

    /// The corpus's texts, skipped ones included.
    var textCount: Int { corpus?.texts.count ?? activations?.textCount ?? 0 }

    /// The batches of the pass: the corpus tokenized and packed, or the activation folder's rows.
    func corpusBatches(options: AnalysisOptions) throws -> CorpusBatches {
        if let activations { return try CorpusBatches(folder: activations, options: options) }
        return try CorpusBatches(corpus: corpus!, tokenizer: tokenizer, specialTokens: specialTokens, options: options)
    }
}

/// The corpus tokenized (texts in parallel) and packed into the batches the pass runs, identically in every run,
/// shard and resumed run with the same settings.
struct CorpusBatches {
    /// The corpus indices of the analyzed texts; `PackedBatch` sequences refer to positions in this list.
    let textIndices: [Int]
    /// The corpus's skipped texts plus those that produced no token.
    let skipped: [Corpus.Skipped]
    let batches: [PackedBatch]
    let totalTokens: Int

    init(corpus: Corpus, tokenizer: Tokenizer, specialTokens: SpecialTokens, options: AnalysisOptions) throws {
        var textIndices = corpus.usedIndices
        if let maxTexts = options.pass.maxTexts { textIndices = Array(textIndices.prefix(max(1, maxTexts))) }
        let texts = textIndices.map { corpus.texts[$0] }
        var tokenized = [[Int32]](repeating: [], count: texts.count)
        tokenized.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Parallelism.forEach(texts.count) {
                base[$0] = specialTokens.encode(texts[$0], with: tokenizer, context: options.pass.context)
            }
        }
        var skipped = corpus.skipped
        for (local, ids) in tokenized.enumerated() where ids.isEmpty {
            skipped.append(Corpus.Skipped(textIdx: textIndices[local], reason: "no tokens"))
        }
        self.textIndices = textIndices
        self.skipped = skipped
        batches = Self.pack(tokenized, options: options)
        totalTokens = batches.reduce(0) { $0 + $1.tokenCount }
        guard totalTokens > 0 else { throw InputError("no text in the corpus produced any token", url: options.paths.corpus) }
    }

    /// Batches by token budget, or (seed-compatible `batch` top-k) by `batchTexts` texts so that each batch is one pool.
    private static func pack(_ tokenized: [[Int32]], options: AnalysisOptions) -> [PackedBatch] {
        guard options.pass.topKMode == .batch else {
            return PackedBatch.pack(tokenized, context: options.pass.context, maxTokens: options.pass.batchTokens)
        }
        var batches: [PackedBatch] = []
        for start in stride(from: 0, to: tokenized.count, by: options.pass.batchTexts) {
            var batch = PackedBatch()
            for text in start..<min(start + options.pass.batchTexts, tokenized.count) {
                for offset in stride(from: 0, to: tokenized[text].count, by: options.pass.context) {
                    batch.append(
                        tokenized[text][offset..<min(offset + options.pass.context, tokenized[text].count)],
                        text: text, start: offset)
                }
            }
            if batch.tokenCount > 0 { batches.append(batch) }
        }
        return batches
    }

    /// Indices of evenly spaced batches holding about `tokens` tokens in all (at least one batch; all when nil).
    func evenlySpaced(tokens: Int?) -> [Int] {
        guard let tokens, tokens < totalTokens, !batches.isEmpty else { return Array(batches.indices) }
        let fraction = Double(tokens) / Double(totalTokens)
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

    /// The rows of `batch` that start a text or window.
    static func firstTokenFlags(_ batch: PackedBatch) -> [Bool] {
        var flags = [Bool](repeating: false, count: batch.tokenCount)
        for sequence in batch.sequences { flags[sequence.rows.lowerBound] = true }
        return flags
    }

    /// The seed's ablation batch of each of `batch`'s rows: its ablation study always took 4 texts per batch, in
    /// corpus order (seed inventory §2.10).
    static func seedAblationBatches(_ batch: PackedBatch) -> [Int] {
        var groups = [Int](repeating: 0, count: batch.tokenCount)
        for sequence in batch.sequences {
            for row in sequence.rows { groups[row] = sequence.text / seedAblationTexts }
        }
        return groups
    }

    /// Texts per batch of the seed's ablation study (hard-coded there).
    static let seedAblationTexts = 4

    /// The database's token records for `batch`'s rows where `included` (all rows when nil).
    func tokenRecords(_ batch: PackedBatch, included: [Bool]? = nil) -> [TokenRecord] {
        var records: [TokenRecord] = []
        records.reserveCapacity(batch.tokenCount)
        for sequence in batch.sequences {
            for (offset, row) in sequence.rows.enumerated() where included?[row] ?? true {
                records.append(
                    TokenRecord(
                        tokenID: batch.tokens[row], textIndex: Int32(textIndices[sequence.text]),
                        position: Int32(sequence.start + offset)))
            }
        }
        return records
    }
}

extension AnalysisInputs {
    /// The inputs and the SHA-256 of their files, hashed beside the loading (which leaves a core idle); an error
    /// of the inputs is reported before one of the hashing, in the order `init(options:)` reports them.
    static func loadHashing(options: AnalysisOptions) throws -> (AnalysisInputs, InputHashes) {
        guard options.paths.activations == nil else {
            var inputs: Result<AnalysisInputs, Error>?
            var hashes: Result<InputHashes, Error>?
            Parallelism.forEach(2) { task in
                if task == 0 {
                    hashes = Result { try InputHashes(options: options) }
                } else {
                    inputs = Result { try AnalysisInputs(options: options) }
                }
            }
            return (try inputs!.get(), try hashes!.get())
        }
        // Three tasks, the tokenizer (the longest load) last: it starts on whichever core frees first, so it runs
        // beside the other loading when the hashes come from the cache (`FileHashCache`), else after that loading,
        // beside the hashing.
        var hashes: Result<InputHashes, Error>?
        var preloaded: Result<Preloaded, Error>?
        var tokenizer: Result<Tokenizer, Error>?
        Parallelism.forEach(3) { task in
            switch task {
            case 0: hashes = Result { try InputHashes(options: options) }
            case 1: preloaded = Result { try Preloaded(options: options) }
            default: tokenizer = Result { try Tokenizer(modelDirectory: options.paths.model) }
            }
        }
        let inputs = try AnalysisInputs(modelAndCorpus: options, preloaded: preloaded!.get(), tokenizer: tokenizer!)
        return (inputs, try hashes!.get())
    }
}
