import Foundation
import SAECore

/// Everything one `analyze` (or `quick`) run needs to know.
public struct AnalysisOptions: Codable, Sendable {
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

    public var modelDirectory: URL
    public var saeDirectory: URL
    public var corpusFile: URL
    /// The analysis directory to write (nil: compute only, as `quick` does).
    public var output: URL?

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
    public var features = FeatureAnalysisOptions()
    /// Worker threads for OpenBLAS and the parallel loops (nil: all cores).
    public var threads: Int?

    /// Process only this shard's batches and write a shard directory (for `sae-report merge`) instead of an analysis.
    public var shard: ShardSpec?
    /// Continue from the checkpoint an interrupted run left beside `output` (start afresh when there is none).
    public var resume = false
    /// Seconds of pass work between checkpoints.
    public var checkpointInterval = 120.0

    enum CodingKeys: String, CodingKey {
        case modelDirectory = "model", saeDirectory = "sae", corpusFile = "data", output, hook, layer
        case topKMode = "topk_mode", context = "ctx", batchTokens = "batch_tokens", batchTexts = "batch_texts"
        case maxTexts = "max_texts", ablation, ablationTokens = "ablation_tokens", calibrationTokens = "calibration_tokens"
        case excludeFirstToken = "exclude_first_token", featureAnalysis = "feature_analysis", features, threads
        case shard, resume, checkpointInterval = "checkpoint_interval"
    }

    /// The options that decide a run's numbers: everything but where its inputs are (their hashes identify them),
    /// where it goes, how it is scheduled and how it shards. Runs and shards with equal pass settings and equal
    /// inputs produce mergeable, resumable state.
    var passSettings: AnalysisOptions {
        var copy = self
        let nowhere = URL(fileURLWithPath: "/")
        (copy.modelDirectory, copy.saeDirectory, copy.corpusFile) = (nowhere, nowhere, nowhere)
        copy.output = nil
        copy.threads = nil
        copy.shard = nil
        copy.resume = false
        copy.checkpointInterval = 0
        return copy
    }

    public init(modelDirectory: URL, saeDirectory: URL, corpusFile: URL, output: URL?) {
        self.modelDirectory = modelDirectory
        self.saeDirectory = saeDirectory
        self.corpusFile = corpusFile
        self.output = output
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
