import Foundation
import Parallelism

/// Scratch buffers for one forward pass, sized for the largest batch seen so far and reused across batches
/// (the layer loop allocates nothing).
final class ForwardWorkspace {
    /// A row-major `[rows, width]` Float buffer that only grows.
    struct Buffer {
        private(set) var pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        private(set) var capacity = 1

        mutating func reserve(_ count: Int) {
            guard count > capacity else { return }
            pointer.deallocate()
            pointer = .allocate(capacity: count)
            capacity = count
        }

        func free() { pointer.deallocate() }
    }

    /// Rows of attention scores each attention worker computes at once.
    static let attentionBlockRows = 64

    /// The row stride of one head's transposed keys: the longest span (`PackedBatch.longestSpan`) rounded up to the
    /// widest vector (16 lanes), plus one vector, as `sae_vm_attention_scores` reads whole vectors from any first key.
    static func transposedKeyStride(longestSpan: Int) -> Int { (longestSpan + 15) / 16 * 16 + 16 }

    /// Floats of attention scratch per worker: a head's transposed keys, its values, a block of queries and a block
    /// of scores.
    static func attentionScratch(longestSpan: Int, headDim: Int) -> Int {
        headDim * (transposedKeyStride(longestSpan: longestSpan) + longestSpan + attentionBlockRows)
            + attentionBlockRows * longestSpan
    }

    var residual = Buffer()  // [n, d]: the residual stream
    var normed = Buffer()  // [n, d]: the normalized residual stream (attention's, then the MLP's input)
    var qkv = Buffer()  // [n, q + 2·kv]
    var attention = Buffer()  // [n, q]: attention output before the output projection (attn.hook_z + b_V)
    var projection = Buffer()  // [n, d]: attention's output projection (hook_attn_out)
    var mlp = Buffer()  // [n, 2·intermediate] (gate | up, then act(gate)·up in the gate half) or [n, intermediate]
    var mlpOutput = Buffer()  // [n, d]: the MLP's output (hook_mlp_out)
    var scores = Buffer()  // per worker: `attentionScratch` floats
    var positions: [Int] = []  // [n]: each row's position within its sequence
    let workers = Parallelism.workerCount

    /// Makes every buffer big enough for `batch`.
    func prepare(for batch: PackedBatch, spec: DecoderSpec) {
        let n = batch.tokenCount
        residual.reserve(n * spec.hiddenSize)
        normed.reserve(n * spec.hiddenSize)
        qkv.reserve(n * (spec.queryWidth + 2 * spec.keyValueWidth))
        attention.reserve(n * spec.queryWidth)
        projection.reserve(n * spec.hiddenSize)
        mlp.reserve(n * (spec.gatedMLP ? 2 : 1) * spec.intermediateSize)
        mlpOutput.reserve(n * spec.hiddenSize)
        scores.reserve(workers * Self.attentionScratch(longestSpan: batch.longestSpan, headDim: spec.headDim))
        positions.removeAll(keepingCapacity: true)
        for sequence in batch.sequences { positions.append(contentsOf: sequence.positions) }
    }

    deinit {
        for buffer in [residual, normed, qkv, attention, projection, mlp, mlpOutput, scores] { buffer.free() }
    }
}
