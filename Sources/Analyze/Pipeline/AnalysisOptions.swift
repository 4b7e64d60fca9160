import Foundation
import LMRuntime
import SAECore

/// Everything one `analyze` (or `quick`, or shard) run needs to know, in four parts: where the inputs are, the
/// settings that decide the pass's numbers (their encoding, with the inputs' hashes, is the checkpoint fingerprint),
/// the feature stage's options, and how the run is controlled (output, threads, shard, resume).
public struct AnalysisOptions: Codable, Sendable {
    public var paths: InputPaths
    public var pass = PassSettings()
    public var features = FeatureAnalysisOptions()
    public var control: RunControl

    public init(modelDirectory: URL, saeDirectory: URL, corpusFile: URL, output: URL?) {
        paths = InputPaths(model: modelDirectory, sae: saeDirectory, corpus: corpusFile)
        control = RunControl(output: output)
    }

    /// A run on an activation folder (`analyze --activations`) instead of a model and a corpus; `unembedding`, a
    /// model directory whose `W_U` and final norm give the logit effects. No ablation study (it needs the model).
    public init(activations: URL, unembedding: URL?, saeDirectory: URL, output: URL?) {
        paths = InputPaths(
            model: unembedding ?? activations, sae: saeDirectory,
            corpus: activations.appendingPathComponent(ActivationManifest.fileName))
        paths.activations = activations
        paths.unembedding = unembedding
        pass.ablation = .none
        control = RunControl(output: output)
    }

    /// The settings that decide a run's numbers and so must match for a resume or a merge: the pass settings and the
    /// feature options (the pass keeps each feature's top examples).
    var fingerprintSettings: FingerprintSettings { FingerprintSettings(pass: pass, features: features) }
    struct FingerprintSettings: Encodable {
        var pass: PassSettings
        var features: FeatureAnalysisOptions
    }
}

/// Where a run's inputs are (their SHA-256 identifies them in checkpoints and configs).
public struct InputPaths: Codable, Sendable {
    /// Hugging Face model directory.
    public var model: URL
    /// SAE directory.
    public var sae: URL
    /// Corpus: a JSON list of strings.
    public var corpus: URL
    /// An activation folder read instead of running the model on the corpus (docs/activations.md); `model` and
    /// `corpus` then name the unembedding's directory (or the folder) and the folder's manifest.
    public var activations: URL?
    /// With `activations`: the model directory whose unembedding gives the logit effects.
    public var unembedding: URL?

    public init(model: URL, sae: URL, corpus: URL) {
        (self.model, self.sae, self.corpus) = (model, sae, corpus)
    }

    enum CodingKeys: String, CodingKey {
        case model, sae
        case corpus = "data"
        case activations, unembedding
    }
}

/// The settings that decide the pass's numbers.
public struct PassSettings: Codable, Sendable, Equatable {
    /// What replaces the hook activation in the ablation study, besides the SAE reconstruction.
    public enum Ablation: String, CaseIterable, Codable, Sendable {
        /// Zeros (the seed's choice; degenerate on bias-free models, see the results' warnings).
        case zero
        /// The per-dimension corpus mean μ, estimated on the calibration sample.
        case mean
        /// Both baselines.
        case both
        /// No ablation study.
        case none
    }

    /// Which SAE of its path (sparsify hookpoint, OpenAI layer file, Gemma Scope site, OpenAI k).
    public var sae = SAESelection()
    /// Full hook name or just the point (`hook_resid_post`); nil: the SAE's own hook.
    public var hook: String?
    public var layer: Int?
    /// nil: the default for the SAE's architecture (`threshold` for top-k SAEs).
    public var topKMode: TopKMode?
    /// Context window: longer texts are split into windows of this many tokens.
    public var context = 1024
    /// Tokens per forward batch (texts are packed without padding).
    public var batchTokens = 4096
    /// Texts per pool in `--topk-mode batch` (the seed's batch size).
    public var batchTexts = 16
    /// Only the first `maxTexts` usable texts (nil: all).
    public var maxTexts: Int?

    public var ablation = Ablation.zero
    /// Tokens the ablation study runs on, as evenly spaced whole batches (nil: every token).
    public var ablationTokens: Int? = 4096
    /// Tokens whose activations calibrate the top-k threshold and the mean-ablation μ.
    public var calibrationTokens = 16384
    /// The headline numbers (the seed's blocks, SUMMARY) leave out the first token of each text/window.
    public var excludeFirstToken = false
    /// Write the activation database and the per-feature analysis (false for `quick`).
    public var featureAnalysis = true
    /// Keep the positions of the tokenizer's special tokens (BOS, EOS, pad) in every statistic; by default they are
    /// left out of the database, the metrics and the SAE splice.
    public var keepSpecialTokens = false
    /// Leave out positions whose hook-activation norm exceeds this many times the median norm of the calibration
    /// sample (attention sinks); nil: keep them.
    public var ignoreHighNorm: Double?
    /// The model's weight matrices' element type.
    public var dtype = WeightDType.fp32

    public init() {}

    enum CodingKeys: String, CodingKey {
        case sae, hook, layer
        case topKMode = "topk_mode"
        case context = "ctx"
        case batchTokens = "batch_tokens"
        case batchTexts = "batch_texts"
        case maxTexts = "max_texts"
        case ablation
        case ablationTokens = "ablation_tokens"
        case calibrationTokens = "calibration_tokens"
        case excludeFirstToken = "exclude_first_token"
        case featureAnalysis = "feature_analysis"
        case keepSpecialTokens = "keep_special_tokens"
        case ignoreHighNorm = "ignore_high_norm"
        case dtype
    }
}

/// Which SAE a path means, when it holds several or leaves something open (the SAE loading options, as recorded).
public struct SAESelection: Codable, Sendable, Equatable {
    /// A sparsify hookpoint folder (`layers.6`) or an OpenAI layer file (`6`).
    public var hookpoint: String?
    /// Gemma Scope site (`res`, `mlp`, `att`) when the path does not name the repository.
    public var site: GemmaScopeSite?
    /// k of an OpenAI TopK SAE whose state dict does not record it.
    public var k: Int?

    public init(hookpoint: String? = nil, site: GemmaScopeSite? = nil, k: Int? = nil) {
        (self.hookpoint, self.site, self.k) = (hookpoint, site, k)
    }

    public var loadOptions: SAELoadOptions { SAELoadOptions(hookpoint: hookpoint, site: site, k: k) }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        hookpoint = try container.decodeIfPresent(String.self, forKey: .hookpoint)
        site = try container.decodeIfPresent(String.self, forKey: .site).flatMap(GemmaScopeSite.init(rawValue:))
        k = try container.decodeIfPresent(Int.self, forKey: .k)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(hookpoint, forKey: .hookpoint)
        try container.encodeIfPresent(site?.rawValue, forKey: .site)
        try container.encodeIfPresent(k, forKey: .k)
    }

    enum CodingKeys: String, CodingKey { case hookpoint, site, k }
}

/// How a run is controlled: none of it changes its numbers.
public struct RunControl: Codable, Sendable {
    /// The analysis directory to write (nil: compute only, as `quick` does).
    public var output: URL?
    /// Worker threads for OpenBLAS and every parallel loop (nil: all cores).
    public var threads: Int?
    /// Process only this shard's batches and write a shard directory (for `sae-report merge`) instead of an analysis.
    public var shard: ShardSpec?
    /// Continue from the checkpoint an interrupted run left beside `output` (start afresh when there is none).
    public var resume = false
    /// Seconds of pass work between checkpoints.
    public var checkpointInterval = 120.0
    /// Run an SAE that records a model of another family than the one given (transferred to a fine-tune or a
    /// sibling); the mismatch becomes one of the run's warnings instead of an error.
    public var allowOtherModel = false

    public init(output: URL? = nil) { self.output = output }

    enum CodingKeys: String, CodingKey {
        case output, threads, shard, resume
        case checkpointInterval = "checkpoint_interval"
    }
}

/// What a run reports while it works: the CLI turns these into a progress line or log lines.
public struct AnalysisProgress: Sendable {
    public var stage: String
    public var tokensDone: Int
    public var tokensTotal: Int
    public var elapsed: Double

    public var tokensPerSecond: Double { elapsed > 0 ? Double(tokensDone) / elapsed : 0 }
    public var secondsLeft: Double? {
        tokensDone > 0 && tokensTotal > tokensDone ? Double(tokensTotal - tokensDone) / tokensPerSecond : nil
    }
}
