import Formats
import Foundation

/// The shape and hyperparameters of a Qwen3-family decoder, read from a Hugging Face `config.json`.
///
/// `model_type` "qwen3" is the primary target; "qwen2" (bias on q/k/v, no q/k norm) and "llama" (optional
/// `attention_bias`, no q/k norm) run through the same code.
public struct Qwen3Config: Equatable, Sendable {
    /// The architecture variants the forward pass implements.
    public enum Family: String, Sendable, CaseIterable {
        case qwen3, qwen2, llama
    }

    public var family: Family
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    /// The LM head reuses the token embedding matrix.
    public var tieWordEmbeddings: Bool
    /// q/k/v projections carry a bias (Qwen2 always; Llama and Qwen3 when `attention_bias` is true).
    public var attentionBias: Bool
    /// RMSNorm of each query and key head over `headDim`, before RoPE (Qwen3).
    public var qkNorm: Bool

    public init(family: Family = .qwen3, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                headCount: Int, kvHeadCount: Int, headDim: Int, rmsNormEps: Float = 1e-6, ropeTheta: Double = 1_000_000,
                tieWordEmbeddings: Bool = true, attentionBias: Bool? = nil, qkNorm: Bool? = nil) {
        self.family = family
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias ?? (family == .qwen2)
        self.qkNorm = qkNorm ?? (family == .qwen3)
    }

    /// Width of all query heads together.
    public var queryWidth: Int { headCount * headDim }
    /// Width of all key (or value) heads together.
    public var keyValueWidth: Int { kvHeadCount * headDim }

    /// Reads and validates `config.json`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read model config (\(error.localizedDescription))", url: url)
        }
        try self.init(json: data, path: url.path)
    }

    /// Parses and validates the text of a `config.json`; errors name `path`.
    public init(json data: Data, path: String) throws {
        guard let document = try? JSONValue(parsing: data), case .object(let fields) = document else {
            throw InputError("model config is not a JSON object", path: path)
        }
        let reader = ConfigReader(fields: fields, path: path)

        let modelType = try reader.string("model_type")
        guard let family = Family(rawValue: modelType) else {
            throw InputError("unsupported model_type \"\(modelType)\"; supported: "
                             + Family.allCases.map(\.rawValue).joined(separator: ", "), path: path)
        }
        if let activation = try reader.optionalString("hidden_act"), activation != "silu" {
            throw InputError("unsupported hidden_act \"\(activation)\"; only silu (SwiGLU) is implemented", path: path)
        }
        if try reader.optionalBool("use_sliding_window") == true {
            throw InputError("use_sliding_window is true; sliding-window attention is not implemented", path: path)
        }
        if try reader.optionalBool("mlp_bias") == true {
            throw InputError("mlp_bias is true; MLP biases are not implemented", path: path)
        }
        let ropeTheta = try Self.ropeTheta(reader)

        let hiddenSize = try reader.positiveInt("hidden_size")
        let headCount = try reader.positiveInt("num_attention_heads")
        let kvHeadCount = try reader.optionalPositiveInt("num_key_value_heads") ?? headCount
        let headDim: Int
        if let explicit = try reader.optionalPositiveInt("head_dim") {
            headDim = explicit
        } else {
            guard hiddenSize % headCount == 0 else {
                throw InputError("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount) and head_dim is missing", path: path)
            }
            headDim = hiddenSize / headCount
        }
        guard headCount % kvHeadCount == 0 else {
            throw InputError("num_attention_heads \(headCount) is not a multiple of num_key_value_heads \(kvHeadCount)", path: path)
        }
        guard headDim % 2 == 0 else {
            throw InputError("head_dim \(headDim) is odd; rotary embeddings need an even head_dim", path: path)
        }
        let eps = try reader.optionalNumber("rms_norm_eps") ?? 1e-6
        guard eps > 0 else { throw InputError("rms_norm_eps \(eps) is not positive", path: path) }

        self.init(family: family,
                  vocabSize: try reader.positiveInt("vocab_size"),
                  hiddenSize: hiddenSize,
                  intermediateSize: try reader.positiveInt("intermediate_size"),
                  layerCount: try reader.positiveInt("num_hidden_layers"),
                  headCount: headCount, kvHeadCount: kvHeadCount, headDim: headDim,
                  rmsNormEps: Float(eps), ropeTheta: ropeTheta,
                  tieWordEmbeddings: try reader.optionalBool("tie_word_embeddings") ?? false,
                  attentionBias: family == .qwen2 ? true : (try reader.optionalBool("attention_bias") ?? false),
                  qkNorm: family == .qwen3)
    }

    /// rope_theta from `rope_parameters` (transformers ≥ 5) or the top level, rejecting scaled RoPE variants.
    private static func ropeTheta(_ reader: ConfigReader) throws -> Double {
        for key in ["rope_parameters", "rope_scaling"] {
            guard let value = reader.fields[key], value != .null else { continue }
            guard case .object(let parameters) = value else {
                throw InputError("\(key) is not an object", path: reader.path)
            }
            if let type = parameters["rope_type"] ?? parameters["type"], type != .string("default") {
                throw InputError("\(key) has rope_type \(type.summary); only the default (unscaled) RoPE is implemented",
                                 path: reader.path)
            }
            if let theta = try ConfigReader(fields: parameters, path: reader.path).optionalNumber("rope_theta") {
                guard theta > 0 else { throw InputError("rope_theta \(theta) is not positive", path: reader.path) }
                return theta
            }
        }
        let theta = try reader.optionalNumber("rope_theta") ?? 10_000
        guard theta > 0 else { throw InputError("rope_theta \(theta) is not positive", path: reader.path) }
        return theta
    }
}

/// Typed access to config.json fields, with errors that name the file and the field.
private struct ConfigReader {
    var fields: [String: JSONValue]
    var path: String

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw InputError("missing \"\(key)\"", path: path) }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .string(let string) = value else { throw wrongType(key, value, "a string") }
        return string
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .bool(let bool) = value else { throw wrongType(key, value, "true or false") }
        return bool
    }

    func positiveInt(_ key: String) throws -> Int {
        guard let value = try optionalPositiveInt(key) else { throw InputError("missing \"\(key)\"", path: path) }
        return value
    }

    func optionalPositiveInt(_ key: String) throws -> Int? {
        guard let value = fields[key], value != .null else { return nil }
        guard case .int(let int) = value, int > 0 else { throw wrongType(key, value, "a positive integer") }
        return int
    }

    func optionalNumber(_ key: String) throws -> Double? {
        switch fields[key] {
        case nil, .null?: return nil
        case .int(let int)?: return Double(int)
        case .double(let double)? where double.isFinite: return double
        case let value?: throw wrongType(key, value, "a finite number")
        }
    }

    private func wrongType(_ key: String, _ value: JSONValue, _ expected: String) -> InputError {
        InputError("\"\(key)\" is \(value.summary), expected \(expected)", path: path)
    }
}
