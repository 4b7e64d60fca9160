import Formats

/// GPT-2: LayerNorm with bias, learned absolute positions, biased attention and GELU-tanh MLP, tied head.
/// Conv1D weights are stored `[in, out]` (transposed here) and `c_attn` fuses q | k | v along its output.
enum GPT2: CheckpointLayout {
    static func spec(_ config: JSONConfig, _ family: DecoderSpec.Family) throws -> DecoderSpec {
        let d = try config.positiveInt("n_embd"), heads = try config.positiveInt("n_head")
        guard d % heads == 0 else { throw config.error("n_embd \(d) is not a multiple of n_head \(heads)") }
        if try config.optionalBool("scale_attn_by_inverse_layer_idx") == true || config.optionalBool("reorder_and_upcast_attn") == true {
            throw config.error("scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not implemented")
        }
        var spec = DecoderSpec(
            family: family, vocabSize: try config.positiveInt("vocab_size"), hiddenSize: d,
            intermediateSize: try config.optionalPositiveInt("n_inner") ?? 4 * d,
            layerCount: try config.positiveInt("n_layer"), headCount: heads, kvHeadCount: heads,
            headDim: d / heads, normalization: .layer,
            normEps: Float(try config.optionalDouble("layer_norm_epsilon") ?? 1e-5),
            activation: try config.activation("activation_function") ?? .geluTanh, gatedMLP: false,
            positions: .learned(count: try config.positiveInt("n_positions")))
        if try config.optionalBool("scale_attn_weights") == false { spec.attentionScale = 1 }
        spec.attentionBias = true
        spec.outputBias = true
        spec.mlpBias = true
        spec.tieWordEmbeddings = try config.optionalBool("tie_word_embeddings") ?? true
        return spec
    }

    /// "transformer." in GPT2LMHeadModel checkpoints, none in GPT2Model ones.
    private static func root(_ tensors: TensorLoader) -> String { tensors.prefix(["transformer.", ""], for: "wte.weight") }

    static func embeddings(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (WeightMatrix, [Float]?) {
        guard case .learned(let count) = spec.positions else { preconditionFailure("GPT-2 has learned positions") }
        let root = root(tensors)
        return (
            try tensors.matrix(root + "wte.weight", rows: spec.vocabSize, columns: spec.hiddenSize),
            try tensors.load(root + "wpe.weight", [count, spec.hiddenSize])
        )
    }

    static func block(_ layer: Int, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Block {
        let d = spec.hiddenSize, inner = spec.intermediateSize
        let prefix = root(tensors) + "h.\(layer)."
        func norm(_ name: String) throws -> ModelWeights.Norm {
            .init(weight: try tensors.load(prefix + name + ".weight", [d]), bias: try tensors.load(prefix + name + ".bias", [d]))
        }
        func conv(_ name: String, in input: Int, out output: Int) throws -> (WeightMatrix, [Float]) {
            (
                try tensors.matrixTransposed(prefix + name + ".weight", rows: output, columns: input),
                try tensors.load(prefix + name + ".bias", [output])
            )
        }
        let (qkv, qkvBias) = try conv("attn.c_attn", in: d, out: 3 * d)
        let (output, outputBias) = try conv("attn.c_proj", in: d, out: d)
        let (up, upBias) = try conv("mlp.c_fc", in: d, out: inner)
        let (down, downBias) = try conv("mlp.c_proj", in: inner, out: d)
        return ModelWeights.Block(
            attentionNorm: try norm("ln_1"), qkv: qkv, qkvBias: qkvBias, queryNorm: nil, keyNorm: nil,
            output: output, outputBias: outputBias, postAttentionNorm: nil, mlpNorm: try norm("ln_2"),
            mlpIn: up, mlpInBias: upBias, down: down, downBias: downBias, postMLPNorm: nil)
    }

    static func final(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (ModelWeights.Norm, WeightMatrix?) {
        let root = root(tensors), d = spec.hiddenSize
        return (
            .init(weight: try tensors.load(root + "ln_f.weight", [d]), bias: try tensors.load(root + "ln_f.bias", [d])),
            spec.tieWordEmbeddings ? nil : try tensors.matrix("lm_head.weight", rows: spec.vocabSize, columns: d)
        )
    }
}
