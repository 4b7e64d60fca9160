/// How an SAE turns pre-activations into feature activations.
public enum SAEArchitecture: String, Codable, Sendable, CaseIterable {
    /// `f = ReLU(pre)` (the seed's vanilla SAE, SAELens "standard").
    case relu
    /// The seed's BatchTopK: top `N·k` of `ReLU(pre)` over a pool of `N` tokens at training time; no `b_enc`.
    case batchTopK = "batchtopk"
    /// Per-token top-k (SAELens "topk"): the `k` largest pre-activations, then ReLU.
    case topK = "topk"
    /// `f = pre · 1[pre > θ_i]` with a per-feature threshold (SAELens "jumprelu", saved BatchTopK SAEs).
    case jumpReLU = "jumprelu"
    /// SAELens "gated": `f = 1[x·W_enc + b_gate > 0] · ReLU(x·W_enc·exp(r_mag) + b_mag)`, folded on load into the
    /// JumpReLU form (see `SparseAutoencoder.foldGate`), so it encodes on the same path.
    case gated

    /// Whether the architecture keeps a fixed number `k` of features per token (or per pool).
    public var isTopK: Bool { self == .batchTopK || self == .topK }
}

/// Which on-disk layout an SAE directory uses.
public enum SAEFormat: String, Codable, Sendable, CaseIterable {
    /// The seed's export: `weights.pt` (torch state dict) + `config.json` (+ `history.json`).
    case seed
    /// SAELens: `cfg.json` + `sae_weights.safetensors` (legacy flat or v6 nested config).
    case saelens
    /// Gemma Scope (Gemma 2): `params.npz` in `layer_L/width_W/average_l0_N/`.
    case gemmaScope = "gemma-scope"
    /// Gemma Scope 2 (Gemma 3): `params.safetensors` + `config.json` with HF hook names.
    case gemmaScope2 = "gemma-scope-2"
    /// EleutherAI sparsify: `<hookpoint>/cfg.json` + `<hookpoint>/sae.safetensors`.
    case sparsify
    /// OpenAI's GPT-2 TopK SAEs: a torch state dict `<layer>.pt`.
    case openAI = "openai"
    /// Llama Scope: `hyperparams.json` + `checkpoints/final.safetensors`.
    case llamaScope = "llama-scope"

    /// The files that identify the format, for messages.
    public var signature: String {
        switch self {
        case .seed: "weights.pt + config.json"
        case .saelens: "cfg.json + sae_weights.safetensors"
        case .gemmaScope: "params.npz"
        case .gemmaScope2: "params.safetensors + config.json"
        case .sparsify: "cfg.json + sae.safetensors (or folders of them, one per hookpoint)"
        case .openAI: "<layer>.pt (OpenAI state dict)"
        case .llamaScope: "hyperparams.json + checkpoints/final.safetensors"
        }
    }
}

/// What an SAE's configuration says, normalised across formats. Weight-level options (input scaling, decoder-norm
/// rescaling, per-feature scaling factors) are folded into the weights on load and only recorded here.
public struct SAEConfig: Equatable, Sendable, Codable {
    public var format: SAEFormat
    public var architecture: SAEArchitecture
    /// Width of the activations the SAE reads.
    public var dIn: Int
    /// Number of features.
    public var dSae: Int
    /// Full TransformerLens hook name, e.g. `blocks.9.hook_resid_post`.
    public var hookName: String
    /// The block index, when the config gives one or the hook name has the `blocks.L.` form.
    public var layer: Int?
    /// Features kept per token (top-k architectures only).
    public var k: Int?
    /// The element type the config names (`float32`, `torch.bfloat16`, ...); computation is always in Float32.
    public var dtype: String
    /// Whether `b_dec` is subtracted from the input before encoding.
    public var appliesDecoderBiasToInput: Bool
    /// Whether `b_enc` is added to the pre-activations (the seed's BatchTopK ignores its `b_enc`).
    public var usesEncoderBias: Bool
    /// How inputs are normalised (`expected_average_only_in` is folded into the weights; per-token ones are not).
    public var normalization: SAENormalization
    /// The `expected_average_only_in` factor `s` that was folded into the weights (inputs were multiplied by `s`).
    public var inputScalingFactor: Double?
    /// Whether SAELens `rescale_acts_by_decoder_norm` was folded into the weights.
    public var rescaledByDecoderNorm: Bool
    /// Whether a legacy SAELens per-feature `scaling_factor` was folded into the decoder.
    public var foldedFeatureScalingFactor: Bool
    /// The model the SAE was trained on, when the config says.
    public var modelName: String?
    /// Training facts the pipeline may use (BOS, context, model loading options, the release's own hook name).
    public var metadata: SAEMetadata

    public init(
        format: SAEFormat, architecture: SAEArchitecture, dIn: Int, dSae: Int, hookName: String, layer: Int?,
        k: Int?, dtype: String = "float32", appliesDecoderBiasToInput: Bool = true, usesEncoderBias: Bool,
        normalization: SAENormalization = .none, inputScalingFactor: Double? = nil, rescaledByDecoderNorm: Bool = false,
        foldedFeatureScalingFactor: Bool = false, modelName: String? = nil, metadata: SAEMetadata = SAEMetadata()
    ) {
        self.format = format
        self.architecture = architecture
        self.dIn = dIn
        self.dSae = dSae
        self.hookName = hookName
        self.layer = layer
        self.k = k
        self.dtype = dtype
        self.appliesDecoderBiasToInput = appliesDecoderBiasToInput
        self.usesEncoderBias = usesEncoderBias
        self.normalization = normalization
        self.inputScalingFactor = inputScalingFactor
        self.rescaledByDecoderNorm = rescaledByDecoderNorm
        self.foldedFeatureScalingFactor = foldedFeatureScalingFactor
        self.modelName = modelName
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey {
        case format, architecture, k, dtype, normalization, layer, metadata
        case dIn = "d_in"
        case dSae = "d_sae"
        case hookName = "hook_name"
        case modelName = "model_name"
        case appliesDecoderBiasToInput = "apply_b_dec_to_input"
        case usesEncoderBias = "uses_b_enc"
        case inputScalingFactor = "input_scaling_factor"
        case rescaledByDecoderNorm = "rescaled_by_decoder_norm"
        case foldedFeatureScalingFactor = "folded_feature_scaling_factor"
    }
}

extension SAEConfig {
    /// The block index in a `blocks.L.…` hook name, or nil.
    static func layer(inHookName name: String) -> Int? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "blocks", let layer = Int(parts[1]), layer >= 0 else { return nil }
        return layer
    }
}
