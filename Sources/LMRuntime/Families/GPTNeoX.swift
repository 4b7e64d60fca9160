import Formats

/// GPT-NeoX (Pythia): LayerNorm with bias, parallel attention + MLP (`use_parallel_residual`), partial rotary
/// (`rotary_pct`), biased projections, GELU MLP, untied `embed_out`. The fused `query_key_value` is laid out per head
/// (`[heads, 3, head_dim]` along its output) and regrouped here into q heads | k heads | v heads.
enum GPTNeoX: CheckpointLayout {
    static func spec(_ config: JSONConfig, _ family: DecoderSpec.Family) throws -> DecoderSpec {
        let hiddenSize = try config.positiveInt("hidden_size")
        let headCount = try config.positiveInt("num_attention_heads")
        guard hiddenSize % headCount == 0 else {
            throw config.error("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
        let headDim = hiddenSize / headCount
        var spec = DecoderSpec(
            family: family, vocabSize: try config.positiveInt("vocab_size"), hiddenSize: hiddenSize,
            intermediateSize: try config.positiveInt("intermediate_size"),
            layerCount: try config.positiveInt("num_hidden_layers"), headCount: headCount,
            kvHeadCount: headCount, headDim: headDim, normalization: .layer,
            normEps: Float(try config.optionalDouble("layer_norm_eps") ?? 1e-5),
            residual: try config.optionalBool("use_parallel_residual") ?? true ? .parallel : .sequential,
            activation: try config.activation("hidden_act") ?? .gelu, gatedMLP: false,
            positions: try config.rotary(
                headDim: headDim, fallbackFraction: try config.optionalDouble("rotary_pct"),
                fallbackTheta: "rotary_emb_base"))
        let bias = try config.optionalBool("attention_bias") ?? true
        spec.attentionBias = bias
        spec.outputBias = bias
        spec.mlpBias = true
        spec.tieWordEmbeddings = try config.optionalBool("tie_word_embeddings") ?? false
        return spec
    }

    static func embeddings(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (WeightMatrix, [Float]?) {
        (try tensors.matrix("gpt_neox.embed_in.weight", rows: spec.vocabSize, columns: spec.hiddenSize), nil)
    }

    static func block(_ layer: Int, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Block {
        let d = spec.hiddenSize, inner = spec.intermediateSize, heads = spec.headCount, headDim = spec.headDim
        let prefix = "gpt_neox.layers.\(layer)."
        func norm(_ name: String) throws -> ModelWeights.Norm {
            .init(weight: try tensors.load(prefix + name + ".weight", [d]), bias: try tensors.load(prefix + name + ".bias", [d]))
        }
        func bias(_ name: String, _ width: Int) throws -> [Float]? {
            spec.attentionBias ? try tensors.load(prefix + name + ".bias", [width]) : nil
        }
        // Row (head, part, i) of the fused matrix goes to row part·d + head·headDim + i.
        func regroup(_ fused: [Float], width: Int) -> [Float] {
            var result = [Float](repeating: 0, count: fused.count)
            for head in 0..<heads {
                for part in 0..<3 {
                    let from = ((head * 3 + part) * headDim) * width, to = (part * d + head * headDim) * width
                    result[to..<(to + headDim * width)] = fused[from..<(from + headDim * width)]
                }
            }
            return result
        }
        let attention = prefix + "attention."
        return ModelWeights.Block(
            attentionNorm: try norm("input_layernorm"),
            qkv: tensors.typed(regroup(try tensors.load(attention + "query_key_value.weight", [3 * d, d]), width: d), rows: 3 * d, columns: d),
            qkvBias: try bias("attention.query_key_value", 3 * d).map { regroup($0, width: 1) },
            queryNorm: nil, keyNorm: nil,
            output: try tensors.matrix(attention + "dense.weight", rows: d, columns: d), outputBias: try bias("attention.dense", d),
            postAttentionNorm: nil, mlpNorm: try norm("post_attention_layernorm"),
            mlpIn: try tensors.matrix(prefix + "mlp.dense_h_to_4h.weight", rows: inner, columns: d),
            mlpInBias: try tensors.load(prefix + "mlp.dense_h_to_4h.bias", [inner]),
            down: try tensors.matrix(prefix + "mlp.dense_4h_to_h.weight", rows: d, columns: inner),
            downBias: try tensors.load(prefix + "mlp.dense_4h_to_h.bias", [d]), postMLPNorm: nil)
    }

    static func final(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (ModelWeights.Norm, WeightMatrix?) {
        let d = spec.hiddenSize
        return (
            .init(
                weight: try tensors.load("gpt_neox.final_layer_norm.weight", [d]),
                bias: try tensors.load("gpt_neox.final_layer_norm.bias", [d])),
            spec.tieWordEmbeddings ? nil : try tensors.matrix("embed_out.weight", rows: spec.vocabSize, columns: d)
        )
    }
}
