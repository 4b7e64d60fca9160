import CVectorMath
import Foundation
import Parallelism

/// Causal grouped-query attention over a packed batch: each sequence attends only to itself and its prefix (the
/// rows of an earlier sequence it continues, `PackedBatch.Sequence.prefix`), and with a sliding `window` each token
/// only to the `window` most recent positions (itself included).
///
/// `qkv` rows are `[q heads | k heads | v heads]` (already normed and rotated); query head h reads key/value head
/// `h / (headCount / kvHeadCount)`. Scores are `q·k · spec.attentionScale`, soft-capped when the spec says so.
/// Work items are (sequence, key/value head) pairs spread over all cores. Each transposes its keys once, then for each
/// query head of the group computes blocks of `blockRows` query rows with the row kernels (Sources/CVectorMath):
/// scores against the keys the block can see (the causal band, not the full square), then the softmax-weighted sum of
/// values. (sgemm spent most of its time packing these small matrices.)
func causalAttention(
    qkv: UnsafePointer<Float>, batch: PackedBatch, spec: DecoderSpec, window: Int?,
    into output: UnsafeMutablePointer<Float>, workspace: ForwardWorkspace
) {
    let headDim = spec.headDim, queryWidth = spec.queryWidth
    let qkvWidth = queryWidth + 2 * spec.keyValueWidth
    let groupSize = spec.headCount / spec.kvHeadCount
    let blockRows = ForwardWorkspace.attentionBlockRows
    let span = batch.longestSpan
    let keyStride = ForwardWorkspace.transposedKeyStride(longestSpan: span)
    let scratchPerWorker = ForwardWorkspace.attentionScratch(longestSpan: span, headDim: headDim)
    let scale = spec.attentionScale, cap = spec.attentionSoftCap
    let kvHeadCount = spec.kvHeadCount
    let taskCount = batch.sequences.count * kvHeadCount
    let workers = min(workspace.workers, taskCount)
    let scratch = workspace.scores.pointer

    Parallelism.forEach(workers) { worker in
        let keysT = scratch + worker * scratchPerWorker
        let valueCopy = keysT + headDim * keyStride
        let queryCopy = valueCopy + headDim * span
        let scores = queryCopy + headDim * blockRows
        for task in stride(from: worker, to: taskCount, by: workers) {
            // One key/value head and the query heads that read it: its keys and values are prepared once.
            let sequence = batch.sequences[task / kvHeadCount]
            let kvHead = task % kvHeadCount
            let own = qkv + sequence.rows.lowerBound * qkvWidth, before = qkv + sequence.prefix.lowerBound * qkvWidth
            let keyOffset = queryWidth + kvHead * headDim, valueOffset = queryWidth + spec.keyValueWidth + kvHead * headDim
            // Keys (and values) 0..<p are the prefix's, p... the sequence's own; query row i is at position p + i.
            let p = sequence.prefix.count
            if p > 0 { sae_vm_transpose_keys(before + keyOffset, qkvWidth, p, headDim, keysT, keyStride, p) }
            sae_vm_transpose_keys(own + keyOffset, qkvWidth, sequence.count, headDim, keysT + p, keyStride, keyStride - p)
            // Values (and each block's queries) are copied to dense rows: one layout with or without a prefix, and no
            // rows a whole qkv row apart (often a multiple of 4 KiB, so the same few L1 sets).
            for key in 0..<p {
                (valueCopy + key * headDim).update(from: before + key * qkvWidth + valueOffset, count: headDim)
            }
            for key in 0..<sequence.count {
                (valueCopy + (p + key) * headDim).update(from: own + key * qkvWidth + valueOffset, count: headDim)
            }

            for head in (kvHead * groupSize)..<((kvHead + 1) * groupSize) {
                let queries = own + head * headDim
                let out = output + sequence.rows.lowerBound * queryWidth + head * headDim
                for blockStart in stride(from: 0, to: sequence.count, by: blockRows) {
                    let blockEnd = min(blockStart + blockRows, sequence.count)
                    let rows = blockEnd - blockStart
                    // The block sees keys firstKey..<p + blockEnd; scores[i, j] = scale · q_(blockStart+i) · k_(firstKey+j).
                    let firstKey = window.map { max(0, p + blockStart - $0 + 1) } ?? 0
                    let keyCount = p + blockEnd - firstKey, diagonal = p + blockStart - firstKey
                    for i in 0..<rows {
                        (queryCopy + i * headDim).update(from: queries + (blockStart + i) * qkvWidth, count: headDim)
                    }
                    sae_vm_attention_scores(
                        queryCopy, headDim, rows, keysT + firstKey, keyStride, headDim, keyCount, diagonal, scale, scores,
                        keyCount)
                    for i in 0..<rows {
                        let row = scores + i * keyCount
                        let position = p + blockStart + i
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
                    sae_vm_attention_values(
                        scores, keyCount, rows, keyCount, diagonal, valueCopy + firstKey * headDim, headDim, headDim,
                        out + blockStart * queryWidth, queryWidth)
                }
            }
        }
    }
}
