import Formats
import Foundation

/// All parameters of a Qwen3-family decoder as fp32, loaded once from a safetensors checkpoint.
///
/// Matrices keep PyTorch's `[out, in]` row-major layout (the products use sgemm's transposed-B form, which is
/// as fast as a pre-transposed copy); the q/k/v projections are stacked into one `[q+k+v, d]` matrix and
/// gate/up into one `[2·intermediate, d]` matrix so that each is a single product.
public final class Qwen3Weights: Sendable {
    /// One decoder block.
    struct Block: Sendable {
        var attentionNorm: [Float]        // [d]
        var qkv: [Float]                  // [queryWidth + 2·keyValueWidth, d]
        var qkvBias: [Float]?             // [queryWidth + 2·keyValueWidth]
        var queryNorm: [Float]?           // [headDim]
        var keyNorm: [Float]?             // [headDim]
        var output: [Float]               // [d, queryWidth]
        var mlpNorm: [Float]              // [d]
        var gateUp: [Float]               // [2·intermediate, d]: gate rows, then up rows
        var down: [Float]                 // [d, intermediate]
    }

    public let config: Qwen3Config
    let embedding: [Float]               // [vocab, d]
    let blocks: [Block]
    package let finalNorm: [Float]?              // [d]; nil when only some blocks are loaded
    let untiedHead: [Float]?             // [vocab, d]; nil when the head is the embedding (or not loaded)

    /// Loads `config.json` and the safetensors weights of a Hugging Face model directory (see
    /// `init(config:checkpoint:blockCount:)` for `blockCount`).
    public convenience init(modelDirectory: URL, blockCount: Int? = nil) throws {
        let config = try Qwen3Config(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        try self.init(config: config, checkpoint: SafetensorsCheckpoint(directory: modelDirectory), blockCount: blockCount)
    }

    /// Loads every tensor `config` calls for, checking names, shapes and finiteness. With `blockCount` below
    /// `config.layerCount`, loads only the embedding and the first `blockCount` blocks: enough to run to hooks
    /// in those blocks (e.g. 10 of Qwen3-0.6B's 28 for `blocks.9.*`, about half the memory), not the LM head.
    public init(config: Qwen3Config, checkpoint: SafetensorsCheckpoint, blockCount: Int? = nil) throws {
        let blockCount = min(max(blockCount ?? config.layerCount, 0), config.layerCount)
        let complete = blockCount == config.layerCount
        let loader = TensorLoader(checkpoint: checkpoint)
        let d = config.hiddenSize, inner = config.intermediateSize, head = config.headDim
        let q = config.queryWidth, kv = config.keyValueWidth

        self.config = config
        embedding = try loader.load("model.embed_tokens.weight", [config.vocabSize, d])
        finalNorm = complete ? try loader.load("model.norm.weight", [d]) : nil
        untiedHead = config.tieWordEmbeddings || !complete ? nil : try loader.load("lm_head.weight", [config.vocabSize, d])
        blocks = try (0..<blockCount).map { layer in
            let prefix = "model.layers.\(layer)."
            let attention = prefix + "self_attn."
            func bias(_ name: String, _ width: Int) throws -> [Float] {
                try loader.load(attention + name + ".bias", [width])
            }
            return Block(
                attentionNorm: try loader.load(prefix + "input_layernorm.weight", [d]),
                qkv: try loader.load(attention + "q_proj.weight", [q, d]) + loader.load(attention + "k_proj.weight", [kv, d])
                    + loader.load(attention + "v_proj.weight", [kv, d]),
                qkvBias: config.attentionBias ? try bias("q_proj", q) + bias("k_proj", kv) + bias("v_proj", kv) : nil,
                queryNorm: config.qkNorm ? try loader.load(attention + "q_norm.weight", [head]) : nil,
                keyNorm: config.qkNorm ? try loader.load(attention + "k_norm.weight", [head]) : nil,
                output: try loader.load(attention + "o_proj.weight", [d, q]),
                mlpNorm: try loader.load(prefix + "post_attention_layernorm.weight", [d]),
                gateUp: try loader.load(prefix + "mlp.gate_proj.weight", [inner, d]) + loader.load(prefix + "mlp.up_proj.weight", [inner, d]),
                down: try loader.load(prefix + "mlp.down_proj.weight", [d, inner]))
        }
    }

    /// Whether every block, the final norm and the LM head are loaded.
    public var isComplete: Bool { finalNorm != nil }

    /// The number of blocks loaded (from block 0).
    public var blockCount: Int { blocks.count }

    /// The LM head matrix `[vocab, d]` (the embedding when the two are tied).
    public var head: [Float] { untiedHead ?? embedding }
}

/// Reads one tensor as fp32 with its shape and values checked; errors name the checkpoint directory.
private struct TensorLoader {
    let checkpoint: SafetensorsCheckpoint

    func load(_ name: String, _ expectedShape: [Int]) throws -> [Float] {
        guard let shape = checkpoint.shape(of: name) else {
            throw InputError("the checkpoint has no tensor \"\(name)\", which config.json calls for", url: checkpoint.directory)
        }
        guard shape == expectedShape else {
            throw InputError("tensor \"\(name)\" has shape \(shape), but config.json implies \(expectedShape)", url: checkpoint.directory)
        }
        let values = try checkpoint.floatTensor(name).values
        guard values.withUnsafeBufferPointer(allFinite) else {
            throw InputError("tensor \"\(name)\" contains NaN or infinite values", url: checkpoint.directory)
        }
        return values
    }
}
