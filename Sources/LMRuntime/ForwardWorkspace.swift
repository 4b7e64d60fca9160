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

    var residual = Buffer()     // [n, d]: the residual stream
    var normed = Buffer()       // [n, d]: RMSNorm of the residual stream
    var qkv = Buffer()          // [n, q + 2·kv]
    var attention = Buffer()    // [n, q]: attention output before o_proj
    var projection = Buffer()   // [n, d]: o_proj or down_proj output (hook_attn_out / hook_mlp_out)
    var mlp = Buffer()          // [n, 2·intermediate]: gate | up, then silu(gate)·up in the gate half
    var scores = Buffer()       // [workers, attentionBlockRows, longest sequence]
    var positions: [Int] = []   // [n]: each row's position within its sequence
    let workers = Parallelism.workerCount

    /// Makes every buffer big enough for `batch`.
    func prepare(for batch: PackedBatch, config: Qwen3Config) {
        let n = batch.tokenCount
        residual.reserve(n * config.hiddenSize)
        normed.reserve(n * config.hiddenSize)
        qkv.reserve(n * (config.queryWidth + 2 * config.keyValueWidth))
        attention.reserve(n * config.queryWidth)
        projection.reserve(n * config.hiddenSize)
        mlp.reserve(n * 2 * config.intermediateSize)
        scores.reserve(workers * Self.attentionBlockRows * batch.longestSequence)
        positions.removeAll(keepingCapacity: true)
        for sequence in batch.sequences { positions.append(contentsOf: 0..<sequence.count) }
    }

    deinit {
        for buffer in [residual, normed, qkv, attention, projection, mlp, scores] { buffer.free() }
    }
}
