import Formats
import Foundation

/// What a decoder-only transformer computes, as data: the shapes and, per axis (normalization, residual topology,
/// MLP, positions, attention variants, embedding and logit scaling), the variant one family uses. Each family
/// (`Families/`) reads its Hugging Face `config.json` into a spec and names its checkpoint's tensors; `DecoderModel`
/// runs any spec.
public struct DecoderSpec: Equatable, Sendable {
    /// The checkpoint families whose `model_type` is understood.
    public enum Family: String, Sendable, CaseIterable {
        case gpt2
        case gptNeoX = "gpt_neox"
        case gemma2
        case gemma3 = "gemma3_text"
        case llama, mistral, qwen2, qwen3
    }

    public enum Normalization: Sendable {
        /// x / rms(x) · w (Gemma's `(1 + w)` is folded into w when loading).
        case rms
        /// (x − mean) / std · w + b, biased variance.
        case layer
    }

    public enum Residual: Sendable {
        /// x += attn(norm1(x)); x += mlp(norm2(x)).
        case sequential
        /// x += attn(norm1(x)) + mlp(norm2(x)), both from the same x (GPT-NeoX `use_parallel_residual`).
        case parallel
        /// x += postnorm1(attn(norm1(x))); x += postnorm2(mlp(norm2(x))) (Gemma 2/3).
        case sandwich
    }

    public enum Activation: Sendable {
        case silu
        /// GELU with the tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
        case geluTanh
        /// GELU with erf.
        case gelu
    }

    public enum Positions: Equatable, Sendable {
        /// Rotary embeddings on the first `dimensions` of each query/key head (rotate_half pairing).
        case rotary(dimensions: Int, theta: Double, scaling: RopeScaling?)
        /// A learned `[count, d]` table added to the token embedding (GPT-2).
        case learned(count: Int)
    }

    /// Rescaled rotary frequencies.
    public enum RopeScaling: Equatable, Sendable {
        /// `rope_type: llama3` (Llama 3.1+): long wavelengths divided by `factor`, short ones kept, a blend between.
        case llama3(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalContext: Double)
        /// `rope_type: linear`: every frequency divided by `factor` (Gemma 3's global layers).
        case linear(factor: Double)
    }

    public var family: Family
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int

    public var normalization: Normalization
    public var normEps: Float
    public var residual: Residual
    public var activation: Activation
    /// down(act(gate(h)) · up(h)) when true, down(act(up(h) + b)) + b when false.
    public var gatedMLP: Bool
    public var positions: Positions
    /// The rotary settings of the sliding-window layers where they differ from `positions` (Gemma 3's local base).
    public var slidingPositions: Positions?

    /// q/k/v projections carry biases.
    public var attentionBias: Bool
    /// The attention output projection carries a bias.
    public var outputBias: Bool
    /// The MLP's projections carry biases.
    public var mlpBias: Bool
    /// RMSNorm of each query and key head before RoPE (Qwen3).
    public var qkNorm: Bool
    /// Multiplies q·k (HF `scaling`): headDim^-½, or `query_pre_attn_scalar`^-½ on Gemma.
    public var attentionScale: Float
    /// Scores become cap · tanh(scores / cap) before the mask (Gemma 2 `attn_logit_softcapping`).
    public var attentionSoftCap: Float?
    /// For each layer, the number of most recent positions (itself included) a token attends to, or nil for all.
    public var slidingWindows: [Int?]
    /// Multiplies the token embedding (Gemma: √d).
    public var embeddingScale: Float?
    /// Logits become cap · tanh(logits / cap) (Gemma 2 `final_logit_softcapping`).
    public var finalSoftCap: Float?
    /// The LM head reuses the token embedding matrix.
    public var tieWordEmbeddings: Bool

    /// Width of all query heads together (the width of `attn.hook_z`).
    public var queryWidth: Int { headCount * headDim }
    /// Width of all key (or value) heads together.
    public var keyValueWidth: Int { kvHeadCount * headDim }

    /// Whether any bias is added after the embedding. Without one, a residual stream of zeros stays zero to the
    /// logits (norms of 0 are 0, projections of 0 are 0, act(0) = 0, soft-caps of 0 are 0): uniform predictions.
    public var hasBiases: Bool { attentionBias || outputBias || mlpBias || normalization == .layer }

    /// Whether TransformerLens centers the writing weights of this model by default (LayerNorm models only), so that
    /// TransformerLens-trained SAEs read `Activations.centeredRows()` of the residual stream.
    public var centersWritingWeights: Bool { normalization == .layer }

    /// The block points this spec's blocks have (parallel blocks have no `hook_resid_mid`).
    public var blockPoints: [Hook.Point] { Hook.Point.blockPoints.filter { $0 != .residMid || residual != .parallel } }

    /// The hook `name` names, when this model has it: an `InputError` for a block past the last, an unknown point, or
    /// `hook_resid_mid` of a parallel block.
    public func hook(named name: String) throws -> Hook {
        let hook = try Hook(parsing: name, layerCount: layerCount)
        guard hook.point == .embed || blockPoints.contains(hook.point) else {
            throw InputError(
                "\(hook) does not exist in \(family.rawValue)'s parallel blocks (attention and MLP both read hook_resid_pre "
                    + "and add to it together); use hook_resid_pre, hook_attn_out, hook_mlp_out or hook_resid_post")
        }
        return hook
    }

    /// The names of all hooks, in forward order.
    public var hookNames: [String] {
        [Hook.Point.embed.rawValue] + (0..<layerCount).flatMap { layer in blockPoints.map { Hook(layer: layer, point: $0).description } }
    }

    /// One line per axis, for `sae-report inspect-model`.
    public var summary: [String] {
        let windows = Set(slidingWindows.compactMap { $0 })
        func describe(_ positions: Positions) -> String {
            switch positions {
            case .learned(let count): return "learned absolute, \(count) positions"
            case .rotary(let dimensions, let theta, let scaling):
                let scalingText: String
                switch scaling {
                case .llama3(let factor, _, _, let context)?: scalingText = ", llama3 scaling factor \(factor) (original context \(Int(context)))"
                case .linear(let factor)?: scalingText = ", linear scaling factor \(factor)"
                case nil: scalingText = ""
                }
                return "rotary on \(dimensions) of \(headDim) head dims, theta \(theta)" + scalingText
            }
        }
        let positionText = describe(positions) + (slidingPositions.map { "; sliding layers: " + describe($0) } ?? "")
        let biases = [("q/k/v", attentionBias), ("attention output", outputBias), ("MLP", mlpBias)].filter(\.1).map(\.0)
        return [
            "family: \(family.rawValue)",
            "shape: \(layerCount) layers, d_model \(hiddenSize), d_mlp \(intermediateSize), vocabulary \(vocabSize)",
            "attention: \(headCount) query heads, \(kvHeadCount) key/value heads, head_dim \(headDim), scale \(attentionScale)"
                + (qkNorm ? ", QK-norm" : "") + (attentionSoftCap.map { ", logit soft-cap \($0)" } ?? "")
                + (windows.isEmpty
                    ? ""
                    : ", sliding window \(windows.sorted().map(String.init).joined(separator: "/")) on layers "
                        + slidingWindows.indices.filter { slidingWindows[$0] != nil }.map(String.init).joined(separator: ",")),
            "positions: \(positionText)",
            "norm: \(normalization == .rms ? "RMSNorm" : "LayerNorm"), eps \(normEps)",
            "block: \(residual)",
            "MLP: \(gatedMLP ? "gated " : "")\(activation)",
            "biases: " + (biases.isEmpty ? "none" : biases.joined(separator: ", ")),
            "embedding: " + (embeddingScale.map { "x \($0)" } ?? "unscaled") + (tieWordEmbeddings ? ", tied to the LM head" : ", untied LM head")
                + (finalSoftCap.map { ", final logit soft-cap \($0)" } ?? ""),
            "TransformerLens residual view: " + (centersWritingWeights ? "centered (center_writing_weights)" : "as HF"),
        ]
    }

    /// Reads and validates `config.json`.
    public init(contentsOf url: URL) throws {
        try self.init(config: JSONConfig(contentsOf: url))
    }

    /// Parses and validates the text of a `config.json`; errors name `path`.
    public init(json data: Data, path: String) throws {
        try self.init(config: JSONConfig(parsing: data, url: URL(fileURLWithPath: path)))
    }

    private init(config reader: JSONConfig) throws {
        let path = reader.url.path
        let modelType = try reader.string("model_type")
        guard let family = Family(rawValue: modelType) else {
            throw InputError(
                "unsupported model_type \"\(modelType)\"; supported: "
                    + Family.allCases.map(\.rawValue).joined(separator: ", "), path: path)
        }
        self = try family.layout.spec(reader, family)
        try validate(path: path)
    }

    /// The fields every family shares, with the family's defaults; families adjust the rest.
    init(
        family: Family, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int, headCount: Int,
        kvHeadCount: Int, headDim: Int, normalization: Normalization = .rms, normEps: Float,
        residual: Residual = .sequential, activation: Activation = .silu, gatedMLP: Bool = true, positions: Positions
    ) {
        self.family = family
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.normalization = normalization
        self.normEps = normEps
        self.residual = residual
        self.activation = activation
        self.gatedMLP = gatedMLP
        self.positions = positions
        slidingPositions = nil
        attentionBias = false
        outputBias = false
        mlpBias = false
        qkNorm = false
        attentionScale = Float(1 / Double(headDim).squareRoot())
        attentionSoftCap = nil
        slidingWindows = Array(repeating: nil, count: layerCount)
        embeddingScale = nil
        finalSoftCap = nil
        tieWordEmbeddings = false
    }

    private func validate(path: String) throws {
        guard headCount % kvHeadCount == 0 else {
            throw InputError("num_attention_heads \(headCount) is not a multiple of num_key_value_heads \(kvHeadCount)", path: path)
        }
        for case .rotary(let dimensions, let theta, _)? in [positions, slidingPositions] {
            guard dimensions % 2 == 0, dimensions > 0, dimensions <= headDim else {
                throw InputError("rotary dimensions \(dimensions) must be even and in 2...\(headDim)", path: path)
            }
            guard theta > 0 else { throw InputError("rope_theta \(theta) is not positive", path: path) }
        }
        guard normEps > 0 else { throw InputError("the norm epsilon \(normEps) is not positive", path: path) }
    }
}

/// Fields several families share.
extension JSONConfig {

    /// The fields of HF's Llama-style configs (Llama, Mistral, Qwen2/3, Gemma 2/3): sizes, heads, GQA, head_dim,
    /// `rms_norm_eps` and rotary positions; the family sets its residual topology and activation.
    func llamaStyleSpec(
        _ family: DecoderSpec.Family, residual: DecoderSpec.Residual = .sequential,
        activation: DecoderSpec.Activation = .silu
    ) throws -> DecoderSpec {
        let hiddenSize = try positiveInt("hidden_size")
        let headCount = try positiveInt("num_attention_heads")
        let headDim = try headDim(hiddenSize: hiddenSize, headCount: headCount)
        return DecoderSpec(
            family: family, vocabSize: try positiveInt("vocab_size"), hiddenSize: hiddenSize,
            intermediateSize: try positiveInt("intermediate_size"), layerCount: try positiveInt("num_hidden_layers"),
            headCount: headCount, kvHeadCount: try optionalPositiveInt("num_key_value_heads") ?? headCount,
            headDim: headDim, normEps: Float(try optionalDouble("rms_norm_eps") ?? 1e-6), residual: residual,
            activation: activation, positions: try rotary(headDim: headDim))
    }

    /// head_dim, or hidden_size / num_attention_heads.
    func headDim(hiddenSize: Int, headCount: Int) throws -> Int {
        if let explicit = try optionalPositiveInt("head_dim") { return explicit }
        guard hiddenSize % headCount == 0 else {
            throw error("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount) and head_dim is missing")
        }
        return hiddenSize / headCount
    }

    /// Rotary positions from `rope_parameters` (transformers ≥ 5; per layer type when nested under `layerType`),
    /// `rope_scaling` or the top level: theta, the rotated fraction (`partial_rotary_factor`, or `fallbackFraction`)
    /// and llama3 or linear scaling; other rope types are errors.
    func rotary(
        headDim: Int, defaultTheta: Double = 10_000, fallbackFraction: Double? = nil,
        fallbackTheta: String = "rope_theta", layerType: String? = nil
    ) throws -> DecoderSpec.Positions {
        var theta = try optionalDouble(fallbackTheta) ?? optionalDouble("rope_theta") ?? defaultTheta
        var fraction = try optionalDouble("partial_rotary_factor") ?? fallbackFraction ?? 1
        var scaling: DecoderSpec.RopeScaling?
        for key in ["rope_scaling", "rope_parameters"] {
            guard var parameters = try optionalObject(key) else { continue }
            if let layerType, let nested = try parameters.optionalObject(layerType) { parameters = nested }
            if let value = try parameters.optionalDouble("rope_theta") { theta = value }
            if let value = try parameters.optionalDouble("partial_rotary_factor") { fraction = value }
            let type = try parameters.optionalString("rope_type") ?? parameters.optionalString("type") ?? "default"
            switch type {
            case "default": break
            case "llama3":
                func need(_ name: String) throws -> Double {
                    guard let value = try parameters.optionalDouble(name), value > 0 else {
                        throw error("\(key) of rope_type llama3 needs a positive \"\(name)\"")
                    }
                    return value
                }
                scaling = .llama3(
                    factor: try need("factor"), lowFrequencyFactor: try need("low_freq_factor"),
                    highFrequencyFactor: try need("high_freq_factor"),
                    originalContext: try need("original_max_position_embeddings"))
            case "linear":
                guard let factor = try parameters.optionalDouble("factor"), factor > 0 else {
                    throw error("\(key) of rope_type linear needs a positive \"factor\"")
                }
                scaling = .linear(factor: factor)
            default:
                throw error("\(key) has rope_type \"\(type)\"; implemented: default, llama3, linear")
            }
        }
        guard fraction > 0, fraction <= 1 else { throw error("partial_rotary_factor \(fraction) is not in (0, 1]") }
        return .rotary(dimensions: Int(Double(headDim) * fraction), theta: theta, scaling: scaling)
    }

    /// Per-layer windows from `layer_types` ("sliding_attention" / "full_attention") when present, else `fallback`.
    func slidingWindows(window: Int?, layerCount: Int, fallback: (Int) -> Bool) throws -> [Int?] {
        guard let window else { return Array(repeating: nil, count: layerCount) }
        let types = try optionalStringArray("layer_types")
        if let types, types.count != layerCount {
            throw error("layer_types has \(types.count) entries for \(layerCount) layers")
        }
        return (0..<layerCount).map { layer in
            (types.map { $0[layer] == "sliding_attention" } ?? fallback(layer)) ? window : nil
        }
    }

    /// The activation named by `key`, or nil if absent; unknown names are errors.
    func activation(_ key: String) throws -> DecoderSpec.Activation? {
        guard let name = try optionalString(key) else { return nil }
        switch name {
        case "silu", "swish": return .silu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_tanh": return .geluTanh
        case "gelu": return .gelu
        default: throw error("unsupported \(key) \"\(name)\"; implemented: silu, gelu, gelu_new, gelu_pytorch_tanh")
        }
    }
}
