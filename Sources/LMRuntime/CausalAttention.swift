import Foundation
import Parallelism

/// Causal grouped-query attention over a packed batch: each sequence attends only to itself, and with a sliding
/// `window` each token only to the `window` most recent positions (itself included).
///
/// `qkv` rows are `[q heads | k heads | v heads]` (already normed and rotated); query head h reads key/value head
/// `h / (headCount / kvHeadCount)`. Scores are `q·k · spec.attentionScale`, soft-capped when the spec says so.
/// Work items are (sequence, head) pairs spread over all cores, each computing blocks of `blockRows` query rows with
/// two single-threaded sgemms: scores against the keys the block can see (the causal band, not the full square),
/// then the softmax-weighted sum of values.
func causalAttention(
    qkv: UnsafePointer<Float>, batch: PackedBatch, spec: DecoderSpec, window: Int?,
    into output: UnsafeMutablePointer<Float>, workspace: ForwardWorkspace
) {
    let headDim = spec.headDim, queryWidth = spec.queryWidth, headCount = spec.headCount
    let qkvWidth = queryWidth + 2 * spec.keyValueWidth
    let groupSize = spec.headCount / spec.kvHeadCount
    let blockRows = ForwardWorkspace.attentionBlockRows
    let scoresPerWorker = blockRows * batch.longestSequence
    let scale = spec.attentionScale, cap = spec.attentionSoftCap
    let taskCount = batch.sequences.count * headCount
    let workers = min(workspace.workers, taskCount)
    let scratch = workspace.scores.pointer

    BLAS.singleThreaded {
        Parallelism.forEach(workers) { worker in
            let scores = scratch + worker * scoresPerWorker
            for task in stride(from: worker, to: taskCount, by: workers) {
                let sequence = batch.sequences[task / headCount]
                let head = task % headCount
                let kvHead = head / groupSize
                let first = qkv + sequence.rows.lowerBound * qkvWidth
                let queries = first + head * headDim
                let keys = first + queryWidth + kvHead * headDim
                let values = first + queryWidth + spec.keyValueWidth + kvHead * headDim
                let out = output + sequence.rows.lowerBound * queryWidth + head * headDim

                for blockStart in stride(from: 0, to: sequence.count, by: blockRows) {
                    let blockEnd = min(blockStart + blockRows, sequence.count)
                    let rows = blockEnd - blockStart
                    // The block sees keys firstKey..<blockEnd; scores[i, j] = scale · q_(blockStart+i) · k_(firstKey+j).
                    let firstKey = window.map { max(0, blockStart - $0 + 1) } ?? 0
                    let keyCount = blockEnd - firstKey
                    matrixProduct(
                        queries + blockStart * qkvWidth, strideA: qkvWidth, keys + firstKey * qkvWidth,
                        strideB: qkvWidth, transposeB: true, into: scores, strideOutput: keyCount,
                        m: rows, n: keyCount, k: headDim, alpha: scale)
                    for i in 0..<rows {
                        let row = scores + i * keyCount
                        let position = blockStart + i
                        let start = (window.map { max(0, position - $0 + 1) } ?? 0) - firstKey
                        let end = position + 1 - firstKey
                        let visible = row + start, count = end - start
                        if let cap { softCap(visible, count: count, cap: cap) }
                        let largest = maximum(visible, count: count)
                        let total = exponentiate(visible, count: count, shift: largest)
                        LMRuntime.scale(visible, count: count, by: 1 / total)
                        row.update(repeating: 0, count: start)
                        (row + end).update(repeating: 0, count: keyCount - end)
                    }
                    matrixProduct(
                        scores, strideA: keyCount, values + firstKey * qkvWidth, strideB: qkvWidth, transposeB: false,
                        into: out + blockStart * queryWidth, strideOutput: queryWidth,
                        m: rows, n: headDim, k: keyCount)
                }
            }
        }
    }
}
