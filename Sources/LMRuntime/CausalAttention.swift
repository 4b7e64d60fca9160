import Foundation
import Parallelism

/// Causal grouped-query attention over a packed batch: each sequence attends only to itself.
///
/// `qkv` rows are `[q heads | k heads | v heads]` (already normed and rotated); query head h reads key/value head
/// `h / (headCount / kvHeadCount)`. Work items are (sequence, head) pairs spread over all cores, each computing
/// blocks of `blockRows` query rows with two single-threaded sgemms: scores against the keys up to the block's last
/// row (the causal triangle, not the full square), then the softmax-weighted sum of values.
func causalAttention(qkv: UnsafePointer<Float>, batch: PackedBatch, config: Qwen3Config,
                     into output: UnsafeMutablePointer<Float>, workspace: ForwardWorkspace) {
    let headDim = config.headDim, queryWidth = config.queryWidth
    let qkvWidth = queryWidth + 2 * config.keyValueWidth
    let groupSize = config.headCount / config.kvHeadCount
    let blockRows = ForwardWorkspace.attentionBlockRows
    let scoresPerWorker = blockRows * batch.longestSequence
    let scale = 1 / Float(headDim).squareRoot()
    let taskCount = batch.sequences.count * config.headCount
    let workers = min(workspace.workers, taskCount)
    let scratch = workspace.scores.pointer

    BLAS.singleThreaded {
        Parallelism.forEach(workers) { worker in
            let scores = scratch + worker * scoresPerWorker
            for task in stride(from: worker, to: taskCount, by: workers) {
                let sequence = batch.sequences[task / config.headCount]
                let head = task % config.headCount
                let kvHead = head / groupSize
                let first = qkv + sequence.rows.lowerBound * qkvWidth
                let queries = first + head * headDim
                let keys = first + queryWidth + kvHead * headDim
                let values = first + queryWidth + config.keyValueWidth + kvHead * headDim
                let out = output + sequence.rows.lowerBound * queryWidth + head * headDim

                for blockStart in stride(from: 0, to: sequence.count, by: blockRows) {
                    let blockEnd = min(blockStart + blockRows, sequence.count)
                    let rows = blockEnd - blockStart
                    // scores[i, j] = q_(blockStart+i) · k_j / sqrt(headDim), j < blockEnd
                    matrixProduct(queries + blockStart * qkvWidth, strideA: qkvWidth, keys, strideB: qkvWidth,
                                  transposeB: true, into: scores, strideOutput: blockEnd,
                                  m: rows, n: blockEnd, k: headDim, alpha: scale)
                    for i in 0..<rows {
                        let row = scores + i * blockEnd
                        let visible = blockStart + i + 1
                        let largest = maximum(row, count: visible)
                        let total = exponentiate(row, count: visible, shift: largest)
                        LMRuntime.scale(row, count: visible, by: 1 / total)
                        (row + visible).update(repeating: 0, count: blockEnd - visible)
                    }
                    matrixProduct(scores, strideA: blockEnd, values, strideB: qkvWidth, transposeB: false,
                                  into: out + blockStart * queryWidth, strideOutput: queryWidth,
                                  m: rows, n: headDim, k: blockEnd)
                }
            }
        }
    }
}
