import CVectorMath
import Formats
import Foundation
import Parallelism

/// Per-token next-token loss of several runs of the same batch (a reference, e.g. the clean model, and variants,
/// e.g. the SAE-spliced or ablated runs) and their divergence from the reference, from final hidden states.
public struct NextTokenStatistics: Equatable, Sendable {
    /// The next token of each batch row within its sequence, or -1 at each sequence's last row (no target there).
    public var targets: [Int32]
    /// −log p(next token) of each row, one array per run (run 0 is the reference); NaN where the target is -1.
    public var loss: [[Double]]
    /// KL(p_reference ‖ p_variant) in nats of each row (every row, targets or not), one array per variant (run 1…).
    public var klDivergence: [[Double]]
    /// KL(p_reference ‖ uniform) of each row: the divergence from a run whose logits are all equal, such as the zero
    /// ablation of a bias-free model (whose loss is ln vocab everywhere), which thus needs no pass of its own.
    public var klToUniform: [Double]
}

extension DecoderModel {
    /// The LM head's logits for `rows` of final hidden states `hidden` (from `forward` or `continueForward`),
    /// written row-major `[rows.count, vocabSize]` into `output`.
    public func logits(_ hidden: Activations, rows: Range<Int>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(weights.isComplete, "the LM head is not loaded")
        precondition(hidden.width == spec.hiddenSize && rows.upperBound <= hidden.rows && rows.lowerBound >= 0)
        precondition(output.count >= rows.count * spec.vocabSize, "output holds \(output.count) values")
        guard !rows.isEmpty else { return }
        hidden.values.withUnsafeBufferPointer { input in
            linear(
                input.baseAddress! + rows.lowerBound * hidden.width, rows: rows.count, dIn: hidden.width,
                weight: weights.headMatrix, into: output.baseAddress!)
        }
        if let cap = spec.finalSoftCap { softCap(output.baseAddress!, count: rows.count * spec.vocabSize, cap: cap) }
    }

    /// All logits `[hidden.rows, vocabSize]`. For large batches prefer `logits(_:rows:into:)` chunk by chunk or
    /// `nextTokenStatistics`, which never holds more than a tile of logits.
    public func logits(_ hidden: Activations) -> [Float] {
        [Float](count: hidden.rows * spec.vocabSize) { buffer in logits(hidden, rows: 0..<hidden.rows, into: buffer) }
    }

    /// Next-token statistics of `reference` and each variant: final hidden states of the same `batch`, e.g. a clean
    /// run and `continueForward` runs with replaced activations. See `nextTokenStatistics(batch:stackedHidden:runs:)`.
    public func nextTokenStatistics(
        batch: PackedBatch, reference: Activations, variants: [Activations] = [],
        tileWidth: Int? = nil
    ) throws -> NextTokenStatistics {
        guard !variants.isEmpty else {
            return try nextTokenStatistics(batch: batch, stackedHidden: reference, runs: 1, tileWidth: tileWidth)
        }
        let values = ([reference] + variants).flatMap(\.values)
        return try nextTokenStatistics(
            batch: batch,
            stackedHidden: Activations(
                rows: values.count / spec.hiddenSize,
                width: spec.hiddenSize, values: values),
            runs: 1 + variants.count, tileWidth: tileWidth)
    }

    /// Next-token statistics of `runs` runs of `batch` whose final hidden states are stacked run after run in
    /// `stackedHidden` (`[runs · n, d]`, as `continueForward(from:replacements:batch:)` returns them; run 0 is the
    /// reference).
    ///
    /// The LM head and the log-softmax are fused: the logits of all runs are computed `tileWidth` vocabulary entries
    /// at a time (one product over every row per tile, so the head's weights are read once per call, not once per
    /// chunk of rows), and each tile is folded at once into per-row online log-sum-exp sums (rescaled when a row's
    /// running maximum grows), the target's logit and the KL sums Σ e^(z−M)(z−w); `[rows, vocab]` logits never exist.
    /// Sums are Float over blocks of 1024 columns and Double across them. Memory: one tile, `runs · n · tileWidth`
    /// floats (default: 8192 columns, or fewer to stay within 64M floats = 256 MB; tiles narrower than a few thousand
    /// columns cost time, as each product re-packs all the rows).
    public func nextTokenStatistics(
        batch: PackedBatch, stackedHidden hidden: Activations, runs: Int,
        tileWidth: Int? = nil
    ) throws -> NextTokenStatistics {
        guard weights.isComplete else {
            throw InputError("only \(weights.blockCount) of \(spec.layerCount) blocks are loaded; the LM head needs all")
        }
        let n = batch.tokenCount, vocabulary = spec.vocabSize, d = spec.hiddenSize
        guard runs >= 1, hidden.rows == runs * n, hidden.width == d else {
            throw InputError("final hidden states are [\(hidden.rows), \(hidden.width)], but \(runs) runs of the batch need [\(runs * n), \(d)]")
        }
        var targets = [Int32](repeating: -1, count: n)
        for sequence in batch.sequences {
            for row in sequence.rows.dropLast() { targets[row] = batch.tokens[row + 1] }
        }
        guard n > 0 else {
            return NextTokenStatistics(
                targets: [], loss: Array(repeating: [], count: runs),
                klDivergence: Array(repeating: [], count: runs - 1), klToUniform: [])
        }
        let rowCount = runs * n
        let tile = max(1, min(vocabulary, tileWidth ?? min(8192, max(256, (64 << 20) / rowCount / 64 * 64))))
        var state = OnlineSoftmax(positions: n, runs: runs)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * tile)
        defer { logits.deallocate() }
        let workers = Parallelism.workerCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: workers * tile)
        defer { scratch.deallocate() }

        let head = weights.headMatrix
        hidden.values.withUnsafeBufferPointer { input in
            for first in stride(from: 0, to: vocabulary, by: tile) {
                let width = min(tile, vocabulary - first)
                linear(input.baseAddress!, rows: rowCount, dIn: d, weight: head, weightRows: first..<(first + width), into: logits)
                if let cap = spec.finalSoftCap { softCapRows(logits, count: rowCount * width, cap: cap) }
                state.fold(
                    logits, columns: first..<(first + width), targets: targets,
                    scratch: scratch, workers: workers)
            }
        }
        return state.statistics(targets: targets, vocabulary: vocabulary)
    }
}

/// Per-row running state of the fused LM head: for row r of run k (index k·n + r), the running maximum M and
/// S = Σ e^(z−M) so far; for the reference rows also E = Σ e^(z−M)·z and, per variant, D = Σ e^(z−M)·(z − w)
/// (z the reference's logits, w the variant's); and each row's target logit once its tile has passed.
private struct OnlineSoftmax {
    let positions: Int, runs: Int
    var maxima: [Float]
    var sums: [Double]
    var expected: [Double]
    var differences: [Double]  // [(runs − 1) · positions]
    var targetLogits: [Float]
    /// Columns summed in Float before a sum joins the row's Double total.
    static let accumulationBlock = 1024

    init(positions: Int, runs: Int) {
        self.positions = positions
        self.runs = runs
        maxima = [Float](repeating: -.infinity, count: runs * positions)
        sums = [Double](repeating: 0, count: runs * positions)
        expected = [Double](repeating: 0, count: positions)
        differences = [Double](repeating: 0, count: (runs - 1) * positions)
        targetLogits = [Float](repeating: .nan, count: runs * positions)
    }

    /// Folds one tile of logits: `[runs · positions, columns.count]` row-major, vocabulary entries `columns`.
    mutating func fold(
        _ logits: UnsafePointer<Float>, columns: Range<Int>, targets: [Int32],
        scratch: UnsafeMutablePointer<Float>, workers: Int
    ) {
        let n = positions, runs = runs, width = columns.count
        maxima.withUnsafeMutableBufferPointer { maxima in
            sums.withUnsafeMutableBufferPointer { sums in
                expected.withUnsafeMutableBufferPointer { expected in
                    differences.withUnsafeMutableBufferPointer { differences in
                        targetLogits.withUnsafeMutableBufferPointer { targetLogits in
                            let maxima = maxima.baseAddress!, sums = sums.baseAddress!, expected = expected.baseAddress!
                            let differences = differences.baseAddress!, targetLogits = targetLogits.baseAddress!
                            let count = min(workers, n)
                            Parallelism.forEach(count) { worker in
                                let weightsRow = scratch + worker * width
                                for p in (n * worker / count)..<(n * (worker + 1) / count) {
                                    for run in 0..<runs {
                                        let index = run * n + p
                                        let row = logits + index * width
                                        let largest = maximum(row, count: width)
                                        if largest > maxima[index] {
                                            let factor = Foundation.exp(Double(maxima[index]) - Double(largest))
                                            sums[index] *= factor
                                            if run == 0 {
                                                expected[p] *= factor
                                                for variant in 1..<runs { differences[(variant - 1) * n + p] *= factor }
                                            }
                                            maxima[index] = largest
                                        }
                                        // Float sums over blocks of `accumulationBlock` columns, Double across them.
                                        for block in stride(from: 0, to: width, by: Self.accumulationBlock) {
                                            let count = min(Self.accumulationBlock, width - block)
                                            if run == 0 {
                                                let (sum, weighted) = exponentials(row + block, count: count, shift: maxima[p], into: weightsRow + block)
                                                sums[p] += Double(sum)
                                                expected[p] += Double(weighted)
                                            } else {
                                                sums[index] += Double(sumOfExponentials(row + block, count: count, shift: maxima[index]))
                                                differences[(run - 1) * n + p] += Double(
                                                    weightedDifference(
                                                        weightsRow + block, logits + p * width + block,
                                                        row + block, count: count))
                                            }
                                        }
                                        let target = Int(targets[p])
                                        if columns.contains(target) { targetLogits[index] = row[target - columns.lowerBound] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The statistics once every vocabulary tile has been folded.
    func statistics(targets: [Int32], vocabulary: Int) -> NextTokenStatistics {
        let n = positions
        func logSumExp(_ index: Int) -> Double { Double(maxima[index]) + Foundation.log(sums[index]) }
        let loss = (0..<runs).map { run in
            (0..<n).map { p in targets[p] >= 0 ? logSumExp(run * n + p) - Double(targetLogits[run * n + p]) : .nan }
        }
        // KL(p‖q) = Σ p (z − w) − (lse_p − lse_q); the log-sum-exp difference is formed from the maxima and the sums'
        // ratio, so that close runs do not lose it to cancellation (identical logits give exactly 0; identical hidden
        // states give about 1e-10, as the product rounds a row slightly differently depending on its place).
        let divergence = (1..<runs).map { run in
            (0..<n).map { p in
                let q = run * n + p
                let shift = (Double(maxima[p]) - Double(maxima[q])) + Foundation.log(sums[p] / sums[q])
                return max(0, differences[(run - 1) * n + p] / sums[p] - shift)
            }
        }
        let uniform = Foundation.log(Double(vocabulary))
        let toUniform = (0..<n).map { p in max(0, expected[p] / sums[p] - logSumExp(p) + uniform) }
        return NextTokenStatistics(targets: targets, loss: loss, klDivergence: divergence, klToUniform: toUniform)
    }
}

/// weights[i] = e^(values[i] − shift); returns (Σ weights[i], Σ weights[i]·values[i]).
@inline(__always)
func exponentials(
    _ values: UnsafePointer<Float>, count: Int, shift: Float,
    into weights: UnsafeMutablePointer<Float>
) -> (sum: Float, weighted: Float) {
    var weighted: Float = 0
    let sum = sae_vm_exp_weighted(values, count, shift, weights, &weighted)
    return (sum, weighted)
}

/// Σ weights[i] · (z[i] − w[i]), the difference formed first.
@inline(__always)
func weightedDifference(_ weights: UnsafePointer<Float>, _ z: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count: Int) -> Float {
    sae_vm_weighted_difference(weights, z, w, count)
}

/// `softCap` over many values, spread over the cores.
private func softCapRows(_ values: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
    let chunk = 1 << 16
    Parallelism.forEachRange((count + chunk - 1) / chunk) { chunks in
        for index in chunks {
            let start = index * chunk
            softCap(values + start, count: min(chunk, count - start), cap: cap)
        }
    }
}
