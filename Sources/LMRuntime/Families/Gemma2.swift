import Formats

/// Gemma 2: Llama-style tensors plus sandwich norms (post-attention and post-feedforward RMSNorms), RMSNorm
/// weights stored as offsets from 1, GELU-tanh GeGLU, embedding × √d, `query_pre_attn_scalar`, attention and final
/// logit soft-caps, and sliding windows on alternate layers.
enum Gemma2: CheckpointLayout {
    static func spec(_ config: JSONConfig, _ family: DecoderSpec.Family) throws -> DecoderSpec {
        var spec = try config.llamaStyleSpec(
            family, residual: .sandwich,
            activation: try config.activation("hidden_activation") ?? config.activation("hidden_act") ?? .geluTanh)
        let hiddenSize = spec.hiddenSize, headDim = spec.headDim, layerCount = spec.layerCount
        spec.attentionBias = try config.optionalBool("attention_bias") ?? false
        spec.outputBias = spec.attentionBias
        spec.attentionScale = Float(1 / (try config.optionalDouble("query_pre_attn_scalar") ?? Double(headDim)).squareRoot())
        spec.attentionSoftCap = try config.optionalDouble("attn_logit_softcapping").map(Float.init)
        spec.finalSoftCap = try config.optionalDouble("final_logit_softcapping").map(Float.init)
        spec.slidingWindows = try config.slidingWindows(
            window: config.optionalPositiveInt("sliding_window"),
            layerCount: layerCount
        ) { $0 % 2 == 0 }
        // transformers casts √d to the activations' dtype; the forward runs in fp32.
        spec.embeddingScale = Float(Double(hiddenSize).squareRoot())
        spec.tieWordEmbeddings = try config.optionalBool("tie_word_embeddings") ?? true
        return spec
    }

    static func embeddings(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (WeightMatrix, [Float]?) {
        try Llama.embeddings(tensors, spec)
    }

    static func block(_ layer: Int, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Block {
        var block = try Llama.block(layer, tensors, spec)
        let prefix = "model.layers.\(layer)."
        block.attentionNorm = try norm(prefix + "input_layernorm", tensors, spec)
        block.postAttentionNorm = try norm(prefix + "post_attention_layernorm", tensors, spec)
        block.mlpNorm = try norm(prefix + "pre_feedforward_layernorm", tensors, spec)
        block.postMLPNorm = try norm(prefix + "post_feedforward_layernorm", tensors, spec)
        return block
    }

    static func final(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (ModelWeights.Norm, WeightMatrix?) {
        (
            try norm("model.norm", tensors, spec),
            spec.tieWordEmbeddings ? nil : try tensors.matrix("lm_head.weight", rows: spec.vocabSize, columns: spec.hiddenSize)
        )
    }

    /// Gemma's RMSNorm multiplies by (1 + w), computed in fp32 as transformers does.
    static func norm(_ name: String, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Norm {
        .init(weight: try tensors.load(name + ".weight", [spec.hiddenSize]).map { 1 + $0 })
    }
}
