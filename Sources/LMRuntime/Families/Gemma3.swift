import Formats

/// Gemma 3 text models (`gemma3_text`, e.g. gemma-3-1b): Gemma 2's blocks without soft-caps, plus per-head QK-norm
/// (Gemma RMSNorms), five sliding-window layers per global one, and separate rotary settings for the two layer
/// types (local base 10k; global base 1M, linearly scaled on the larger models).
enum Gemma3: CheckpointLayout {
    static func spec(_ config: JSONConfig, _ family: DecoderSpec.Family) throws -> DecoderSpec {
        var spec = try Gemma2.spec(config, family)
        spec.qkNorm = true
        let pattern = try config.optionalPositiveInt("sliding_window_pattern") ?? config.optionalPositiveInt("_sliding_window_pattern") ?? 6
        spec.slidingWindows = try config.slidingWindows(
            window: config.optionalPositiveInt("sliding_window"),
            layerCount: spec.layerCount
        ) { ($0 + 1) % pattern != 0 }
        spec.positions = try config.rotary(headDim: spec.headDim, defaultTheta: 1_000_000, layerType: "full_attention")
        let local = try config.rotary(
            headDim: spec.headDim, defaultTheta: 10_000, fallbackTheta: "rope_local_base_freq",
            layerType: "sliding_attention")
        if case .rotary(let dimensions, let theta, _) = local {
            // transformers 4.x configs: rope_scaling belongs to the global layers only.
            let nested = try config.optionalObject("rope_parameters")?.optionalObject("sliding_attention") != nil
            spec.slidingPositions = nested ? local : .rotary(dimensions: dimensions, theta: theta, scaling: nil)
        }
        return spec
    }

    static func embeddings(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (WeightMatrix, [Float]?) {
        try Llama.embeddings(tensors, spec)
    }

    static func block(_ layer: Int, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Block {
        var block = try Gemma2.block(layer, tensors, spec)
        block.queryNorm = block.queryNorm?.map { 1 + $0 }
        block.keyNorm = block.keyNorm?.map { 1 + $0 }
        return block
    }

    static func final(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (ModelWeights.Norm, WeightMatrix?) {
        try Gemma2.final(tensors, spec)
    }
}
