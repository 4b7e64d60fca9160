import Formats

/// Llama 2/3.x (with `rope_type: llama3`), Mistral (sliding window on every layer), Qwen2 (q/k/v biases) and
/// Qwen3 (per-head q/k RMSNorm): pre-norm RMSNorm blocks, rotary GQA attention, SwiGLU MLP, HF `model.layers.N` names.
enum Llama: CheckpointLayout {
    static func spec(_ config: JSONConfig, _ family: DecoderSpec.Family) throws -> DecoderSpec {
        if try config.activation("hidden_act") ?? .silu != .silu {
            throw config.error("unsupported hidden_act \"\(try config.string("hidden_act"))\"; this family is implemented with silu")
        }
        var spec = try config.llamaStyleSpec(family)
        let layerCount = spec.layerCount
        // attention_bias puts biases on q/k/v and o (Llama, Qwen3); Qwen2 always has them on q/k/v only; Mistral never.
        let attentionBias = try family != .mistral && config.optionalBool("attention_bias") ?? false
        spec.attentionBias = family == .qwen2 || attentionBias
        spec.outputBias = family != .qwen2 && attentionBias
        spec.mlpBias = try family == .llama && config.optionalBool("mlp_bias") ?? false
        spec.qkNorm = family == .qwen3
        spec.tieWordEmbeddings = try config.optionalBool("tie_word_embeddings") ?? false
        let window = try config.optionalPositiveInt("sliding_window")
        switch family {
        case .mistral:
            spec.slidingWindows = try config.slidingWindows(window: window, layerCount: layerCount) { _ in true }
        case .qwen2, .qwen3:
            // Qwen applies the window only when use_sliding_window is set, and then (HF) from max_window_layers on.
            let used = try config.optionalBool("use_sliding_window") ?? false
            let from = try config.optionalPositiveInt("max_window_layers") ?? layerCount
            spec.slidingWindows = try config.slidingWindows(window: used ? window : nil, layerCount: layerCount) { $0 >= from }
        default:
            break
        }
        return spec
    }

    static func embeddings(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (WeightMatrix, [Float]?) {
        (try tensors.matrix("model.embed_tokens.weight", rows: spec.vocabSize, columns: spec.hiddenSize), nil)
    }

    static func block(_ layer: Int, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Block {
        let d = spec.hiddenSize, inner = spec.intermediateSize, q = spec.queryWidth, kv = spec.keyValueWidth
        let prefix = "model.layers.\(layer).", attention = prefix + "self_attn.", mlp = prefix + "mlp."
        func weight(_ name: String, _ shape: [Int]) throws -> [Float] { try tensors.load(name + ".weight", shape) }
        func matrix(_ name: String, _ rows: Int, _ columns: Int) throws -> WeightMatrix {
            try tensors.matrix(name + ".weight", rows: rows, columns: columns)
        }
        func bias(_ name: String, _ width: Int, if present: Bool) throws -> [Float]? {
            present ? try tensors.load(name + ".bias", [width]) : nil
        }
        return ModelWeights.Block(
            attentionNorm: .init(weight: try weight(prefix + "input_layernorm", [d])),
            qkv: try tensors.stackedMatrix(
                [(attention + "q_proj.weight", q), (attention + "k_proj.weight", kv), (attention + "v_proj.weight", kv)], columns: d),
            qkvBias: spec.attentionBias
                ? try tensors.load([(attention + "q_proj.bias", [q]), (attention + "k_proj.bias", [kv]), (attention + "v_proj.bias", [kv])])
                : nil,
            queryNorm: spec.qkNorm ? try weight(attention + "q_norm", [spec.headDim]) : nil,
            keyNorm: spec.qkNorm ? try weight(attention + "k_norm", [spec.headDim]) : nil,
            output: try matrix(attention + "o_proj", d, q),
            outputBias: try bias(attention + "o_proj", d, if: spec.outputBias),
            mlpNorm: .init(weight: try weight(prefix + "post_attention_layernorm", [d])),
            mlpIn: try tensors.stackedMatrix([(mlp + "gate_proj.weight", inner), (mlp + "up_proj.weight", inner)], columns: d),
            mlpInBias: spec.mlpBias ? try tensors.load([(mlp + "gate_proj.bias", [inner]), (mlp + "up_proj.bias", [inner])]) : nil,
            down: try matrix(mlp + "down_proj", d, inner),
            downBias: try bias(mlp + "down_proj", d, if: spec.mlpBias))
    }

    static func final(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (ModelWeights.Norm, WeightMatrix?) {
        (
            .init(weight: try tensors.load("model.norm.weight", [spec.hiddenSize])),
            spec.tieWordEmbeddings ? nil : try tensors.matrix("lm_head.weight", rows: spec.vocabSize, columns: spec.hiddenSize)
        )
    }
}
