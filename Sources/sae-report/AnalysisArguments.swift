import Analyze
import ArgumentParser
import Foundation
import LMRuntime
import Parallelism
import SAECore

extension TopKMode: ExpressibleByArgument {}
extension PassSettings.Ablation: ExpressibleByArgument {}
extension DecoderSimilarity.Metric: ExpressibleByArgument {}
extension CooccurrenceMeasure: ExpressibleByArgument {}
extension GemmaScopeSite: ExpressibleByArgument {}
extension WeightDType: ExpressibleByArgument {}

extension FeatureAnalysisOptions.DenseMatrices: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument == "auto" ? "automatic" : argument) }
    public static var allValueStrings: [String] { ["auto", "always", "never"] }
}

/// `--ablation-tokens`: a positive count, or `all`.
struct AblationTokens: ExpressibleByArgument {
    /// nil: every token.
    var count: Int?
    init(count: Int?) { self.count = count }
    init?(argument: String) {
        if argument == "all" { count = nil } else if let n = Int(argument), n > 0 { count = n } else { return nil }
    }
    var defaultValueDescription: String { count.map(String.init) ?? "all" }
}

/// `--threads`, the one parallelism setting: OpenBLAS and every parallel loop.
struct ThreadsArgument: ParsableArguments {
    @Option(help: "Threads for the matrix products and every parallel loop (default: all cores).") var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    /// Sets the process-wide worker count.
    func apply() { Parallelism.setWorkerCount(threads) }
}

/// The inputs and knobs shared by `analyze`, `run` and `quick`.
struct AnalysisArguments: ParsableArguments {
    @Option(help: "Hugging Face model directory (config.json, *.safetensors, tokenizer.json).") var model: String?
    @Option(help: "SAE directory (seed: weights.pt + config.json [+ history.json]; SAELens: cfg.json + sae_weights.safetensors).")
    var sae: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String?
    @Option(
        help:
            "Activation folder to analyze instead of running a model on a corpus (docs/activations.md; `sae-report activations` writes one). No ablation study."
    )
    var activations: String?
    @Option(help: "With --activations: a model directory whose unembedding and final norm give the logit effects.")
    var unembedding: String?
    @Option(help: "Hook, e.g. blocks.9.hook_resid_post or hook_resid_post (default: the SAE's own hook; a mismatch is an error).")
    var hook: String?
    @Option(help: "Layer (default: the SAE's own layer).") var layer: Int?
    @Option(help: "Which SAE of a folder that holds several: a sparsify hookpoint (layers.6) or an OpenAI layer file (6).")
    var hookpoint: String?
    @Option(help: "Gemma Scope site when the SAE path does not name the repository: res, mlp or att (default res).")
    var site: GemmaScopeSite?
    @Option(help: "k for an OpenAI TopK SAE whose state dict does not record it.") var k: Int?
    @Option(
        help:
            "Top-k SAEs: threshold (one global threshold calibrated so mean L0 = k; batch-independent), token (top-k per token) or batch (the seed's pool of --batch-texts texts)."
    )
    var topkMode: TopKMode?
    @Option(help: "Context window in tokens; longer texts are split into windows.") var ctx = 1024
    @Option(help: "Tokens per forward batch (texts are packed without padding).") var batchTokens = 4096
    @Option(help: "Texts per top-k pool with --topk-mode batch (the seed's batch size).") var batchTexts = 16
    @Option(help: "Ablation baseline besides the SAE splice: zero, mean, both or none.") var ablation: PassSettings.Ablation = .zero
    @Option(
        help:
            "Tokens the ablation study runs on (evenly spaced whole batches), or 'all'. CE and KL are means over tokens, so a few thousand tokens estimate them well; the seed ran it on every token."
    )
    var ablationTokens = AblationTokens(count: 4096)
    @Option(help: "Tokens used to calibrate the top-k threshold and the mean-ablation baseline.") var calibrationTokens = 16384
    @Flag(help: "Headline metrics leave out the first token of each text (the attention sink); both variants are always in metric_table.")
    var excludeFirstToken = false
    @Option(help: "Analyze only the first N texts.") var maxTexts: Int?
    @Flag(
        help:
            "Keep the positions of the tokenizer's special tokens (BOS, EOS, pad) in every statistic and splice the SAE there too (default: left out, as SAELens's evals do)."
    )
    var keepSpecialTokens = false
    @Option(
        help: ArgumentHelp(
            "Leave out positions whose hook-activation norm exceeds M times the median norm (attention sinks); the count is in the warnings.",
            valueName: "M"))
    var ignoreHighNorm: Double?
    @Option(help: "The model's weight matrices: fp32, or bf16 (half the memory, AVX-512 BF16 products; activations stay fp32).")
    var dtype = WeightDType.fp32
    @Flag(
        help:
            "Run an SAE whose recorded model (cfg.json model_name) is of another family than --model's config.json model_type (an SAE transferred to a fine-tune or sibling); the mismatch goes into the warnings instead of stopping the run."
    )
    var allowOtherModel = false
    @OptionGroup var threads: ThreadsArgument

    func validate() throws {
        if activations != nil {
            guard model == nil, data == nil else {
                throw ValidationError("--activations replaces --model and --data (use --unembedding for the logit effects)")
            }
            guard ablation == .zero || ablation == .none else {
                throw ValidationError("--activations has no ablation study (it needs the model): drop --ablation")
            }
        } else {
            guard model != nil, data != nil else { throw ValidationError("give --model and --data, or --activations") }
            guard unembedding == nil else { throw ValidationError("--unembedding goes with --activations") }
        }
        guard ctx > 0, batchTokens > 0, batchTexts > 0, calibrationTokens > 0 else {
            throw ValidationError("--ctx, --batch-tokens, --batch-texts and --calibration-tokens must be positive")
        }
        if let maxTexts, maxTexts < 1 { throw ValidationError("--max-texts must be positive, not \(maxTexts)") }
        if let ignoreHighNorm, !(ignoreHighNorm.isFinite && ignoreHighNorm > 1) {
            throw ValidationError(
                "--ignore-high-norm must be a number above 1 (a multiple of the median norm; 1 or less leaves out at least half the positions), not \(ignoreHighNorm)"
            )
        }
        if let k, k < 1 { throw ValidationError("--k must be positive, not \(k)") }
        if hookpoint?.isEmpty == true { throw ValidationError("--hookpoint must name a hookpoint folder or layer file") }
    }

    func options(output: URL?) -> AnalysisOptions {
        var options: AnalysisOptions
        if let activations {
            options = AnalysisOptions(
                activations: URL(fileURLWithPath: activations), unembedding: unembedding.map { URL(fileURLWithPath: $0) },
                saeDirectory: URL(fileURLWithPath: sae), output: output)
        } else {
            options = AnalysisOptions(
                modelDirectory: URL(fileURLWithPath: model!), saeDirectory: URL(fileURLWithPath: sae),
                corpusFile: URL(fileURLWithPath: data!), output: output)
        }
        options.pass.hook = hook
        options.pass.layer = layer
        options.pass.topKMode = topkMode
        options.pass.context = ctx
        options.pass.batchTokens = batchTokens
        options.pass.batchTexts = batchTexts
        options.pass.ablation = activations == nil ? ablation : .none
        options.pass.ablationTokens = ablationTokens.count
        options.pass.calibrationTokens = calibrationTokens
        options.pass.excludeFirstToken = excludeFirstToken
        options.pass.maxTexts = maxTexts
        options.pass.sae = SAESelection(hookpoint: hookpoint, site: site, k: k)
        options.pass.keepSpecialTokens = keepSpecialTokens
        options.pass.ignoreHighNorm = ignoreHighNorm
        options.pass.dtype = dtype
        options.control.threads = threads.threads
        options.control.allowOtherModel = allowOtherModel
        return options
    }
}

/// Feature-analysis knobs (`analyze` and `run`).
struct FeatureArguments: ParsableArguments {
    @Option(help: "Top examples kept per feature.") var topExamples = 25
    @Option(help: "Tokens of context on each side of an example.") var contextSize = 10
    @Option(help: "Features clustered (the most active ones).") var clusterFeatures = 500
    @Option(help: "Dense similarity/co-occurrence .npy files: auto (when d_sae <= 16384), always, never.")
    var denseMatrices = FeatureAnalysisOptions.DenseMatrices.automatic
    @Option(help: "Decoder similarity: cosine, dot or euclidean (negative distance).") var similarityMetric: DecoderSimilarity.Metric = .cosine
    @Option(help: "Co-occurrence measure: phi (the seed's correlation), jaccard or pmi.") var cooccurrence: CooccurrenceMeasure = .phi
    @Option(help: "Random seed for every sampled step.") var seed: UInt64 = 0
    @Flag(
        inversion: .prefixedNo,
        help: "Lay out the decoder directions in 2-D for the site's map (UMAP's layout, run on --threads threads; the same map at any thread count).")
    var featureMap = true
    @Option(help: "Texts sampled (evenly across the corpus) for the site's corpus browser; 0 for none.") var browseTexts = 200
    @Option(
        help:
            "Tokens per feature in the logit-effect lists (the most promoted and suppressed by its decoder direction through the unembedding); 0 for none."
    )
    var logitEffects = 10
    @Option(
        help:
            "Top examples per feature whose loss effects are computed (the model rerun with the feature removed at the example, and its direct path); 0 for none."
    )
    var lossEffects = 5
    @Option(
        help:
            "Budget of the loss effects in model rows (each example counts its model window up to the end of its context; the window runs once from the hook, and each example reruns only its own rows on), or 'all'. Examples are taken every feature's best first."
    )
    var lossEffectRows = AblationTokens(count: 2048)

    func validate() throws {
        guard topExamples > 0, contextSize >= 0, clusterFeatures > 0 else {
            throw ValidationError("--top-examples and --cluster-features must be positive, --context-size not negative")
        }
        guard browseTexts >= 0, lossEffects >= 0, logitEffects >= 0 else {
            throw ValidationError("--browse-texts, --loss-effects and --logit-effects must not be negative")
        }
    }

    func apply(to options: inout AnalysisOptions) {
        options.features.topExamples = topExamples
        options.features.contextRadius = contextSize
        options.features.clusterFeatures = clusterFeatures
        options.features.seed = seed
        options.features.similarityMetric = similarityMetric
        options.features.cooccurrenceMeasure = cooccurrence
        options.features.denseMatrices = denseMatrices
        options.features.featureMap = featureMap
        options.features.browseTexts = browseTexts
        options.features.lossEffectExamples = lossEffects
        options.features.logitEffects = logitEffects
        options.features.lossEffectRows = lossEffectRows.count
    }
}

/// `--resume` and the checkpoint interval (`analyze` and `run`).
struct CheckpointArguments: ParsableArguments {
    @Flag(help: "Continue the interrupted run that left its checkpoint beside the output (start afresh when there is none).")
    var resume = false
    @Option(help: "Seconds of pass work between checkpoints.") var checkpointInterval = 120.0

    func validate() throws {
        guard checkpointInterval > 0 else { throw ValidationError("--checkpoint-interval must be positive") }
    }

    func apply(to options: inout AnalysisOptions) {
        options.control.resume = resume
        options.control.checkpointInterval = checkpointInterval
    }
}
