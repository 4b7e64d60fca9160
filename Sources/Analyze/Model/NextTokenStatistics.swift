import Foundation

/// Per-token next-token loss and divergence between runs of the same batch, from final hidden states.
public struct NextTokenStatistics: Equatable, Sendable {
    /// The batch rows that have a next token in their sequence (every row but each sequence's last), in order;
    /// entry i of every array below belongs to row `rows[i]`.
    public var rows: [Int]
    /// −log p_reference(next token).
    public var referenceLoss: [Float]
    /// −log p_variant(next token), one array per variant.
    public var variantLoss: [[Float]]
    /// KL(p_reference ‖ p_variant) in nats, one array per variant.
    public var klDivergence: [[Float]]
}

extension Qwen3Model {
    /// The LM head's logits for `rows` of final hidden states `hidden` (from `forward` or `continueForward`),
    /// written row-major `[rows.count, vocabSize]` into `output`.
    public func logits(_ hidden: Activations, rows: Range<Int>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(weights.isComplete, "the LM head is not loaded")
        precondition(hidden.width == config.hiddenSize && rows.upperBound <= hidden.rows && rows.lowerBound >= 0)
        precondition(output.count >= rows.count * config.vocabSize, "output holds \(output.count) values")
        guard !rows.isEmpty else { return }
        hidden.values.withUnsafeBufferPointer { input in
            weights.head.withUnsafeBufferPointer { head in
                linear(input.baseAddress! + rows.lowerBound * hidden.width, rows: rows.count, inputWidth: hidden.width,
                       weight: head.baseAddress!, outputWidth: config.vocabSize, into: output.baseAddress!)
            }
        }
    }

    /// All logits `[hidden.rows, vocabSize]`. For large batches prefer `logits(_:rows:into:)` chunk by chunk or
    /// `nextTokenStatistics`, which never hold more than a chunk.
    public func logits(_ hidden: Activations) -> [Float] {
        [Float](unsafeUninitializedCapacity: hidden.rows * config.vocabSize) { buffer, count in
            logits(hidden, rows: 0..<hidden.rows, into: buffer)
            count = hidden.rows * config.vocabSize
        }
    }

    /// Next-token cross-entropy of `reference` and of each variant (final hidden states of the same `batch`, e.g. a
    /// clean run and `continueForward` runs with replaced activations), and KL(reference ‖ variant), per token.
    /// Logits are computed `chunkRows` tokens at a time, so memory stays at `(1 + variants) · chunkRows · vocab` floats.
    public func nextTokenStatistics(batch: PackedBatch, reference: Activations, variants: [Activations] = [],
                                    chunkRows: Int = 32) throws -> NextTokenStatistics {
        guard weights.isComplete else {
            throw InputError("only \(weights.blockCount) of \(config.layerCount) blocks are loaded; the LM head needs all")
        }
        let n = batch.tokenCount, vocabulary = config.vocabSize
        for hidden in [reference] + variants where hidden.rows != n || hidden.width != config.hiddenSize {
            throw InputError("final hidden states are [\(hidden.rows), \(hidden.width)], but the batch needs [\(n), \(config.hiddenSize)]")
        }
        var target = [Int32](repeating: -1, count: n)   // the next token, or -1 at each sequence's last row
        for sequence in batch.sequences {
            for row in sequence.rows.dropLast() { target[row] = batch.tokens[row + 1] }
        }
        let rows = (0..<n).filter { target[$0] >= 0 }

        // results[0]: reference loss; results[1 + v]: loss of variant v; results[1 + V + v]: KL of variant v; [n] each.
        let runs = 1 + variants.count, chunk = max(1, chunkRows)
        let results = UnsafeMutableBufferPointer<Float>.allocate(capacity: (1 + 2 * variants.count) * n)
        let logitBuffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: runs * chunk * vocabulary)
        defer { results.deallocate(); logitBuffer.deallocate() }
        let loss = { (run: Int) in results.baseAddress! + run * n }
        let divergence = { (variant: Int) in results.baseAddress! + (runs + variant) * n }
        let logitsOf = { (run: Int, local: Int) in UnsafePointer(logitBuffer.baseAddress! + (run * chunk + local) * vocabulary) }

        for start in stride(from: 0, to: n, by: chunk) {
            let range = start..<min(start + chunk, n)
            for (run, hidden) in ([reference] + variants).enumerated() {
                logits(hidden, rows: range, into: UnsafeMutableBufferPointer(rebasing: logitBuffer[(run * chunk * vocabulary)...]))
            }
            parallelRanges(range.count, minimumPerWorker: 1) { locals in
                for local in locals where target[range.lowerBound + local] >= 0 {
                    let row = range.lowerBound + local, next = Int(target[row])
                    var logSumExps: [Float] = []
                    for run in 0..<runs {
                        let lse = logSumExp(logitsOf(run, local), count: vocabulary)
                        logSumExps.append(lse)
                        loss(run)[row] = lse - logitsOf(run, local)[next]
                    }
                    for variant in 0..<variants.count {
                        divergence(variant)[row] = klDivergence(logitsOf(0, local), logSumExps[0],
                                                                logitsOf(variant + 1, local), logSumExps[variant + 1],
                                                                count: vocabulary)
                    }
                }
            }
        }
        return NextTokenStatistics(rows: rows, referenceLoss: rows.map { loss(0)[$0] },
                                   variantLoss: (0..<variants.count).map { v in rows.map { loss(v + 1)[$0] } },
                                   klDivergence: (0..<variants.count).map { v in rows.map { divergence(v)[$0] } })
    }
}

/// log Σ e^(logits[i]).
func logSumExp(_ logits: UnsafePointer<Float>, count: Int) -> Float {
    let largest = maximum(logits, count: count)
    return largest + log(sumOfExponentials(logits, count: count, shift: largest))
}

/// Σ p_i (log p_i − log q_i) with log p = logitsP − lseP, log q = logitsQ − lseQ; each term is formed from the
/// logit differences first, so identical distributions give exactly 0.
func klDivergence(_ logitsP: UnsafePointer<Float>, _ lseP: Float, _ logitsQ: UnsafePointer<Float>, _ lseQ: Float,
                  count: Int) -> Float {
    let offset = lseP - lseQ
    var sums = Vector8()
    var index = 0
    while index + 8 <= count {
        let p = load8(logitsP, index), q = load8(logitsQ, index)
        sums += exp8(p - lseP) * ((p - q) - offset)
        index += 8
    }
    var sum = sums.sum()
    while index < count {
        sum += exp1(logitsP[index] - lseP) * ((logitsP[index] - logitsQ[index]) - offset)
        index += 1
    }
    return max(0, sum)
}
