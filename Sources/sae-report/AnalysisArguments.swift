import Analyze
import ArgumentParser
import Foundation
import SAECore

extension TopKMode: ExpressibleByArgument {}
extension AnalysisOptions.Ablation: ExpressibleByArgument {}
extension DecoderSimilarity.Metric: ExpressibleByArgument {}
extension CooccurrenceMeasure: ExpressibleByArgument {}

/// The inputs and knobs shared by `analyze`, `run` and `quick`.
struct AnalysisArguments: ParsableArguments {
    @Option(help: "Hugging Face model directory (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(help: "SAE directory (seed: weights.pt + config.json [+ history.json]; SAELens: cfg.json + sae_weights.safetensors).")
    var sae: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    @Option(help: "Hook, e.g. blocks.9.hook_resid_post or hook_resid_post (default: the SAE's own hook; a mismatch is an error).")
    var hook: String?
    @Option(help: "Layer (default: the SAE's own layer).") var layer: Int?
    @Option(help: "Top-k SAEs: threshold (one global threshold calibrated so mean L0 = k; batch-independent), token (top-k per token) or batch (the seed's pool of --batch-texts texts).")
    var topkMode: TopKMode?
    @Option(help: "Context window in tokens; longer texts are split into windows.") var ctx = 1024
    @Option(help: "Tokens per forward batch (texts are packed without padding).") var batchTokens = 4096
    @Option(help: "Texts per top-k pool with --topk-mode batch (the seed's batch size).") var batchTexts = 16
    @Option(help: "Ablation baseline besides the SAE splice: zero, mean, both or none.") var ablation: AnalysisOptions.Ablation = .zero
    @Option(help: "Tokens the ablation study runs on (evenly spaced whole batches), or 'all'. CE and KL are means over tokens, so a few thousand tokens estimate them well; the seed ran it on every token.") var ablationTokens = "4096"
    @Option(help: "Tokens used to calibrate the top-k threshold and the mean-ablation baseline.") var calibrationTokens = 16384
    @Flag(help: "Headline metrics leave out the first token of each text (the attention sink); both variants are always in metric_table.")
    var excludeFirstToken = false
    @Option(help: "Analyze only the first N texts.") var maxTexts: Int?
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func options(output: URL?) throws -> AnalysisOptions {
        var options = AnalysisOptions(modelDirectory: URL(fileURLWithPath: model), saeDirectory: URL(fileURLWithPath: sae),
                                      corpusFile: URL(fileURLWithPath: data), output: output)
        options.hook = hook
        options.layer = layer
        options.topKMode = topkMode
        options.context = ctx
        options.batchTokens = batchTokens
        options.batchTexts = batchTexts
        options.ablation = ablation
        if ablationTokens == "all" {
            options.ablationTokens = nil
        } else if let n = Int(ablationTokens), n > 0 {
            options.ablationTokens = n
        } else {
            throw ValidationError("--ablation-tokens must be a positive number or 'all'")
        }
        options.calibrationTokens = calibrationTokens
        options.excludeFirstToken = excludeFirstToken
        options.maxTexts = maxTexts
        options.threads = threads
        guard ctx > 0, batchTokens > 0, batchTexts > 0, calibrationTokens > 0 else {
            throw ValidationError("--ctx, --batch-tokens, --batch-texts and --calibration-tokens must be positive")
        }
        return options
    }
}

/// Feature-analysis knobs (`analyze` and `run`).
struct FeatureArguments: ParsableArguments {
    @Option(help: "Top examples kept per feature.") var topExamples = 25
    @Option(help: "Tokens of context on each side of an example.") var contextSize = 10
    @Option(help: "Features clustered (the most active ones).") var clusterFeatures = 500
    @Option(help: "Dense similarity/co-occurrence .npy files: auto (when d_sae <= 16384), always, never.")
    var denseMatrices = "auto"
    @Option(help: "Decoder similarity: cosine, dot or euclidean (negative distance).") var similarityMetric: DecoderSimilarity.Metric = .cosine
    @Option(help: "Co-occurrence measure: phi (the seed's correlation), jaccard or pmi.") var cooccurrence: CooccurrenceMeasure = .phi
    @Option(help: "Random seed for every sampled step.") var seed: UInt64 = 0

    func apply(to options: inout AnalysisOptions) throws {
        options.features.topExamples = topExamples
        options.features.contextRadius = contextSize
        options.features.clusterFeatures = clusterFeatures
        options.features.seed = seed
        options.features.similarityMetric = similarityMetric
        options.features.cooccurrenceMeasure = cooccurrence
        guard let dense = FeatureAnalysisOptions.DenseMatrices(rawValue: denseMatrices == "auto" ? "automatic" : denseMatrices) else {
            throw ValidationError("--dense-matrices must be auto, always or never")
        }
        options.features.denseMatrices = dense
    }
}
