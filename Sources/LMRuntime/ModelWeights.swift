import Formats
import Foundation
import Parallelism

/// All parameters of a decoder in one layout for every family, loaded once from a safetensors checkpoint
/// (each family's `CheckpointLayout` maps its tensor names and layouts onto this one).
///
/// Matrices (`WeightMatrix`, fp32 or bf16 as `dtype` says) are PyTorch `Linear` `[out, in]` row-major (the products
/// use the transposed-B form, as fast as a pre-transposed copy); q/k/v are stacked into one `[q + k + v, d]` matrix
/// (q heads, then k heads, then v heads) and a gated MLP's gate/up into one `[2·intermediate, d]` matrix (gate rows,
/// then up rows). Vectors (norms, biases) and learned positions are fp32.
public final class ModelWeights: Sendable {
    /// A normalization's weight (Gemma's `1 + w` already added) and, for LayerNorm, its bias.
    struct Norm: Sendable {
        var weight: [Float]
        var bias: [Float]?
    }

    /// One decoder block.
    struct Block: Sendable {
        var attentionNorm: Norm
        var qkv: WeightMatrix  // [queryWidth + 2·keyValueWidth, d]
        var qkvBias: [Float]?  // [queryWidth + 2·keyValueWidth]
        var queryNorm: [Float]?  // [headDim]
        var keyNorm: [Float]?  // [headDim]
        var output: WeightMatrix  // [d, queryWidth]
        var outputBias: [Float]?  // [d]
        var postAttentionNorm: Norm?  // sandwich blocks
        var mlpNorm: Norm
        var mlpIn: WeightMatrix  // [2·intermediate, d] gate | up, or [intermediate, d]
        var mlpInBias: [Float]?
        var down: WeightMatrix  // [d, intermediate]
        var downBias: [Float]?  // [d]
        var postMLPNorm: Norm?  // sandwich blocks
    }

    public let spec: DecoderSpec
    /// The matrices' element type.
    public let dtype: WeightDType
    let embedding: WeightMatrix  // [vocab, d]; a bf16 checkpoint's stays bf16 when the head is not loaded (lookups only)
    let positionEmbedding: [Float]?  // [positions, d] for learned positions
    let blocks: [Block]
    let finalNorm: Norm?  // nil when only some blocks are loaded
    let untiedHead: WeightMatrix?  // [vocab, d]; nil when the head is the embedding (or not loaded)

    /// Loads `config.json` and the safetensors weights of a Hugging Face model directory (see
    /// `init(spec:checkpoint:blockCount:)` for `blockCount`).
    public convenience init(modelDirectory: URL, blockCount: Int? = nil, dtype: WeightDType = .fp32) throws {
        let spec = try DecoderSpec(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        try self.init(spec: spec, checkpoint: SafetensorsCheckpoint(directory: modelDirectory), blockCount: blockCount, dtype: dtype)
    }

    /// Loads every tensor `spec` calls for, checking names, shapes and finiteness. With a `blockCount`, loads only
    /// the embeddings and the first `blockCount` blocks (all of them at most), never the final norm and LM head:
    /// enough to run to hooks in those blocks (e.g. 10 of Qwen3-0.6B's 28 for `blocks.9.*`, about half the memory).
    /// With `dtype` bf16 the matrices of a bf16 checkpoint are used where the file is mapped (no copy).
    public init(spec: DecoderSpec, checkpoint: SafetensorsCheckpoint, blockCount: Int? = nil, dtype: WeightDType = .fp32) throws {
        let complete = blockCount == nil
        let blockCount = min(max(blockCount ?? spec.layerCount, 0), spec.layerCount)
        let tensors = TensorLoader(checkpoint: checkpoint, dtype: dtype)
        self.dtype = dtype
        let layout = spec.family.layout
        self.spec = spec
        // Without the head the embedding is only looked up row by row, and a bf16 row widens to fp32 exactly: a bf16
        // checkpoint's table stays where it is mapped instead of an fp32 copy of every row (Gemma-2-2B: 2.4 GB).
        var lookupTensors = tensors
        lookupTensors.keepsStoredBF16 = !complete
        (embedding, positionEmbedding) = try layout.embeddings(lookupTensors, spec)
        // Blocks convert in parallel: loading an fp32 copy of a bf16 checkpoint is bound by page faults and copying.
        blocks = try Parallelism.map(blockCount) { try layout.block($0, tensors, spec) }
        if complete {
            let (norm, head) = try layout.final(tensors, spec)
            finalNorm = norm
            untiedHead = head
        } else {
            (finalNorm, untiedHead) = (nil, nil)
        }
    }

    /// Whether the whole model is loaded: every block, the final norm and the LM head.
    public var isComplete: Bool { finalNorm != nil }

    /// The number of blocks loaded (from block 0).
    public var blockCount: Int { blocks.count }

    /// The LM head matrix `[vocab, d]` (the embedding when the two are tied).
    var headMatrix: WeightMatrix { untiedHead ?? embedding }

    /// The final norm's weight `[d]` (nil when not loaded), e.g. to fold into the unembedding.
    package var finalNormWeight: [Float]? { finalNorm?.weight }
}

/// How one family's checkpoint stores the weights, and how its `config.json` reads as a spec.
protocol CheckpointLayout {
    static func spec(_ config: JSONConfig, _ family: DecoderSpec.Family) throws -> DecoderSpec
    /// The token embedding `[vocab, d]` and, for learned positions, the position table.
    static func embeddings(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (WeightMatrix, [Float]?)
    static func block(_ layer: Int, _ tensors: TensorLoader, _ spec: DecoderSpec) throws -> ModelWeights.Block
    /// The final norm and the untied LM head (nil when tied).
    static func final(_ tensors: TensorLoader, _ spec: DecoderSpec) throws -> (ModelWeights.Norm, WeightMatrix?)
}

extension DecoderSpec.Family {
    var layout: any CheckpointLayout.Type {
        switch self {
        case .gpt2: GPT2.self
        case .gptNeoX: GPTNeoX.self
        case .gemma2: Gemma2.self
        case .gemma3: Gemma3.self
        case .llama, .mistral, .qwen2, .qwen3: Llama.self
        }
    }
}

/// Reads tensors with their shapes and values checked (vectors as fp32, matrices in `dtype`); errors name the
/// checkpoint directory.
struct TensorLoader {
    let checkpoint: SafetensorsCheckpoint
    let dtype: WeightDType
    /// Whether a matrix stored as bf16 stays bf16 (used where mapped) whatever `dtype` says: for tables that are only
    /// looked up, never multiplied.
    var keepsStoredBF16 = false

    func load(_ name: String, _ expectedShape: [Int]) throws -> [Float] { try load([(name, expectedShape)]) }

    /// Tensors `parts`, each checked against its expected shape and for finiteness, as fp32 values laid end to end.
    func load(_ parts: [(name: String, shape: [Int])]) throws -> [Float] {
        for (name, expectedShape) in parts {
            guard let shape = checkpoint.shape(of: name) else {
                throw InputError("the checkpoint has no tensor \"\(name)\", which config.json calls for", url: checkpoint.directory)
            }
            guard shape == expectedShape else {
                throw InputError("tensor \"\(name)\" has shape \(shape), but config.json implies \(expectedShape)", url: checkpoint.directory)
            }
        }
        let values = try checkpoint.floatValues(concatenating: parts.map(\.name))
        var offset = 0
        for (name, shape) in parts {
            let count = shape.reduce(1, *)
            guard values.withUnsafeBufferPointer({ allFinite(UnsafeBufferPointer(rebasing: $0[offset..<(offset + count)])) }) else {
                throw InputError("tensor \"\(name)\" contains NaN or infinite values", url: checkpoint.directory)
            }
            offset += count
        }
        return values
    }

    /// The `[rows, columns]` matrix `name` in `dtype`: a bf16 tensor is used in place where the file is mapped (also
    /// with `keepsStoredBF16`); any other stored type is converted (to bf16 rounding to nearest even).
    func matrix(_ name: String, rows: Int, columns: Int) throws -> WeightMatrix {
        try stackedMatrix([(name, rows)], columns: columns)
    }

    /// The matrices `parts` (each `[rows, columns]`) one above the other, `[Σ rows, columns]`: a fused projection
    /// (q | k | v, gate | up). Mapped bf16 tensors stay row blocks where they are (as `matrix`); otherwise every
    /// part is converted straight into one array.
    func stackedMatrix(_ parts: [(name: String, rows: Int)], columns: Int) throws -> WeightMatrix {
        let rows = parts.reduce(0) { $0 + $1.rows }
        if let mapped = try mappedBF16(parts, columns: columns) { return mapped }
        return typed(try load(parts.map { ($0.name, [$0.rows, columns]) }), rows: rows, columns: columns)
    }

    /// The parts as bf16 row blocks where the checkpoint's file is mapped, when bf16 is asked for (`dtype` or
    /// `keepsStoredBF16`) and every part is a non-empty bf16 tensor of the expected shape; nil otherwise.
    private func mappedBF16(_ parts: [(name: String, rows: Int)], columns: Int) throws -> WeightMatrix? {
        guard dtype == .bf16 || keepsStoredBF16 else { return nil }
        var blocks: [WeightMatrix.BF16Rows] = []
        for (name, rows) in parts {
            guard checkpoint.dtype(of: name) == .bf16, checkpoint.shape(of: name) == [rows, columns],
                let (bytes, file) = checkpoint.mappedBytes(of: name), !bytes.isEmpty, Int(bitPattern: bytes.baseAddress) % 2 == 0
            else { return nil }
            let values = bytes.bindMemory(to: UInt16.self)
            guard allFiniteBF16(values) else {
                throw InputError("tensor \"\(name)\" contains NaN or infinite values", url: checkpoint.directory)
            }
            blocks.append(.init(rows: rows, values: values.baseAddress!, owner: file))
        }
        return WeightMatrix(rows: parts.reduce(0) { $0 + $1.rows }, columns: columns, blocks: blocks)
    }

    /// The `[rows, columns]` matrix `name` stored transposed (`[columns, rows]`, e.g. GPT-2's Conv1D `[in, out]`).
    func matrixTransposed(_ name: String, rows: Int, columns: Int) throws -> WeightMatrix {
        let stored = try load(name, [columns, rows])
        var result = [Float](repeating: 0, count: rows * columns)
        for column in 0..<columns {
            for row in 0..<rows { result[row * columns + column] = stored[column * rows + row] }
        }
        return typed(result, rows: rows, columns: columns)
    }

    /// fp32 values as a matrix in `dtype`.
    func typed(_ values: [Float], rows: Int, columns: Int) -> WeightMatrix {
        switch dtype {
        case .fp32: WeightMatrix(rows: rows, columns: columns, values: values)
        case .bf16: WeightMatrix(rows: rows, columns: columns, roundingToBF16: values)
        }
    }

    /// Whether the checkpoint has `name`.
    func has(_ name: String) -> Bool { checkpoint.shape(of: name) != nil }

    /// The first of `prefixes` under which `name` exists (checkpoints differ in a leading `transformer.` etc.).
    func prefix(_ prefixes: [String], for name: String) -> String {
        prefixes.first { has($0 + name) } ?? prefixes[0]
    }
}
