@testable import Formats
import Foundation
@testable import LMRuntime
import Testing
import TestSupport

/// Batching, windowing, stopping and resuming: each must give the same numbers as plain one-sequence runs.
@Suite struct Qwen3ForwardTests {
    let reference: ModelFixtures.Reference
    var model: DecoderModel { reference.model }

    init() throws { reference = try ModelFixtures.Reference("tiny-qwen3") }

    @Test func aPackedBatchEqualsOneByOneRuns() throws {
        let packed = PackedBatch(reference.sequences)
        let hook = Hook(layer: 2, point: .residMid)
        let together = try model.forward(packed, stopAt: hook).activations
        let hiddenTogether = try model.forward(packed)
        for (index, sequence) in packed.sequences.enumerated() {
            let alone = PackedBatch([reference.sequences[index]])
            let d = model.spec.hiddenSize
            let rows = (sequence.rows.lowerBound * d)..<(sequence.rows.upperBound * d)
            #expect(ModelFixtures.relativeError(together.values[rows], try model.forward(alone, stopAt: hook).activations.values) <= 1e-6)
            #expect(ModelFixtures.relativeError(hiddenTogether.values[rows], try model.forward(alone).values) <= 1e-6)
        }
    }

    @Test func longTextsAreSplitIntoWindowsThatRestartPositions() throws {
        let text = reference.sequences[2]  // 23 tokens
        let batches = PackedBatch.pack([text], context: 8, maxTokens: 1024)
        #expect(batches.count == 1 && batches[0].sequences.map(\.count) == [8, 8, 7])
        #expect(batches[0].sequences.map(\.start) == [0, 8, 16])
        let hook = Hook(layer: 3, point: .residPost)
        let windows = try model.forward(batches[0], stopAt: hook).activations
        let d = model.spec.hiddenSize
        // The first window is a prefix of the text, so (attention being causal) it matches transformers' rows.
        let full = try reference.tensor(2, hook.description)
        #expect(ModelFixtures.relativeError(windows.values[0..<(8 * d)], full[0..<(8 * d)]) <= 1e-4)
        // Later windows are sequences of their own.
        for sequence in batches[0].sequences {
            let alone = PackedBatch([Array(text[sequence.start..<(sequence.start + sequence.count)])])
            let rows = (sequence.rows.lowerBound * d)..<(sequence.rows.upperBound * d)
            #expect(ModelFixtures.relativeError(windows.values[rows], try model.forward(alone, stopAt: hook).activations.values) <= 1e-6)
        }
        // ...and they differ from the same tokens at their original positions.
        #expect(ModelFixtures.relativeError(windows.values[(8 * d)..<(16 * d)], full[(8 * d)..<(16 * d)]) > 1e-2)
    }

    @Test func continuingFromAnyHookWithItsOwnActivationEqualsTheFullPass() throws {
        let batch = PackedBatch(reference.sequences)
        let full = try model.forward(batch)
        for hook in ModelFixtures.allHooks(model) {
            let capture = try model.forward(batch, stopAt: hook)
            let resumed = try model.continueForward(from: capture, batch: batch)
            #expect(ModelFixtures.relativeError(resumed.values, full.values) <= 1e-6, "resumed from \(hook)")
        }
    }

    @Test func replacedActivationsFlowThroughTheResidualStream() throws {
        let batch = PackedBatch(reference.sequences)
        // Zeroing attn_out makes resid_mid equal resid_pre: resuming either way must agree.
        var attention = try model.forward(batch, stopAt: Hook(layer: 1, point: .attnOut))
        attention.activations.values = [Float](repeating: 0, count: attention.activations.values.count)
        var mid = try model.forward(batch, stopAt: Hook(layer: 1, point: .residMid))
        mid.activations = try model.forward(batch, stopAt: Hook(layer: 1, point: .residPre)).activations
        let viaAttention = try model.continueForward(from: attention, batch: batch)
        #expect(ModelFixtures.relativeError(viaAttention.values, try model.continueForward(from: mid, batch: batch).values) <= 1e-6)
        #expect(ModelFixtures.relativeError(viaAttention.values, try model.forward(batch).values) > 1e-3)

        // A replaced resid_post of block 1 is block 2's resid_pre.
        var post = try model.forward(batch, stopAt: Hook(layer: 1, point: .residPost))
        var pre = try model.forward(batch, stopAt: Hook(layer: 2, point: .residPre))
        let scaled = post.activations.values.map { $0 * 0.5 }
        post.activations.values = scaled
        pre.activations.values = scaled
        // Not bit for bit: a concurrent test's attention can run one of these products on one OpenBLAS thread.
        #expect(
            ModelFixtures.relativeError(
                try model.continueForward(from: post, batch: batch).values,
                try model.continueForward(from: pre, batch: batch).values) <= 1e-6)
    }

    @Test func aStackedSuffixEqualsSeparateSuffixes() throws {
        let batch = PackedBatch(reference.sequences)
        let n = batch.tokenCount, d = model.spec.hiddenSize
        for hook in [Hook(layer: 1, point: .residPost), Hook(layer: 2, point: .attnOut), Hook(layer: 0, point: .mlpOut)] {
            let capture = try model.forward(batch, stopAt: hook)
            let scaled = Activations(rows: n, width: d, values: capture.activations.values.map { $0 * 0.7 })
            let zero = Activations(rows: n, width: d, values: [Float](repeating: 0, count: n * d))
            let stacked = try model.continueForward(from: capture, replacements: [nil, scaled, zero], batch: batch)
            #expect(stacked.rows == 3 * n && stacked.width == d)
            var separate: [Float] = try model.continueForward(from: capture, batch: batch).values
            for replacement in [scaled, zero] {
                var replaced = capture
                replaced.activations = replacement
                separate += try model.continueForward(from: replaced, batch: batch).values
            }
            #expect(ModelFixtures.relativeError(stacked.values, separate) <= 1e-6, "stacked from \(hook)")
            let single = try model.continueForward(from: capture, replacements: [scaled], batch: batch)
            #expect(ModelFixtures.relativeError(single.values, separate[(n * d)..<(2 * n * d)]) <= 1e-6)
        }
        let capture = try model.forward(batch, stopAt: Hook(layer: 1, point: .residPost))
        #expect(throws: InputError.self) {
            try model.continueForward(
                from: capture, replacements: [nil, Activations(rows: 1, width: d, values: [Float](repeating: 0, count: d))], batch: batch)
        }
    }

    @Test func nextTokenStatisticsMatchTheLogits() throws {
        let batch = PackedBatch(reference.sequences)
        let n = batch.tokenCount
        let clean = try model.forward(batch)
        var capture = try model.forward(batch, stopAt: Hook(layer: 2, point: .residPost))
        capture.activations.values = capture.activations.values.map { $0 * 0.8 }
        let ablated = try model.continueForward(from: capture, batch: batch)
        let stats = try model.nextTokenStatistics(batch: batch, reference: clean, variants: [clean, ablated])

        let vocabulary = model.spec.vocabSize
        let cleanLogits = model.logits(clean).map(Double.init), ablatedLogits = model.logits(ablated).map(Double.init)
        func logSoftmax(_ logits: [Double], _ row: Int) -> [Double] {
            ReferenceMath.logSoftmax(logits[(row * vocabulary)..<((row + 1) * vocabulary)])
        }
        #expect(stats.targets.count == n && stats.loss.count == 3 && stats.klDivergence.count == 2)
        #expect(stats.targets.filter { $0 >= 0 }.count == n - batch.sequences.count)
        for row in 0..<n {
            let p = logSoftmax(cleanLogits, row), q = logSoftmax(ablatedLogits, row)
            let kl = ReferenceMath.kl(logP: p, logQ: q)
            let toUniform = p.map { Foundation.exp($0) * ($0 + Foundation.log(Double(vocabulary))) }.reduce(0, +)
            if stats.targets[row] >= 0 {
                let next = Int(batch.tokens[row + 1])
                #expect(stats.targets[row] == batch.tokens[row + 1])
                #expect(abs(stats.loss[0][row] + p[next]) < 1e-4)
                #expect(abs(stats.loss[2][row] + q[next]) < 1e-4)
                #expect(abs(stats.loss[1][row] - stats.loss[0][row]) < 1e-6)
            } else {
                #expect(stats.loss.allSatisfy { $0[row].isNaN })
            }
            #expect(abs(stats.klDivergence[1][row] - kl) < 1e-6 + 1e-4 * kl)
            #expect(abs(stats.klToUniform[row] - toUniform) < 1e-5 + 1e-4 * toUniform)
            // identical runs: 0 up to the product's rounding (a row's logits depend slightly on its place in the product)
            #expect(stats.klDivergence[0][row] < 1e-6)
        }
        #expect(stats.klDivergence[1].reduce(0, +) > 0)
        // sequence ends have no target
        #expect(stats.targets[batch.sequences[0].rows.upperBound - 1] == -1)

        // Narrow vocabulary tiles (odd widths: vector tails, maxima that grow from tile to tile) and the stacked
        // entry point give the same statistics.
        let stacked = Activations(rows: 2 * n, width: clean.width, values: clean.values + ablated.values)
        for tileWidth in [7, 64, vocabulary] {
            let tiled = try model.nextTokenStatistics(batch: batch, stackedHidden: stacked, runs: 2, tileWidth: tileWidth)
            #expect(tiled.targets == stats.targets)
            for row in 0..<n {
                #expect(abs(tiled.klDivergence[0][row] - stats.klDivergence[1][row]) <= 1e-6 + 1e-4 * stats.klDivergence[1][row])
                #expect(abs(tiled.klToUniform[row] - stats.klToUniform[row]) <= 1e-5)
                if stats.targets[row] >= 0 {
                    #expect(abs(tiled.loss[0][row] - stats.loss[0][row]) <= 1e-5)
                    #expect(abs(tiled.loss[1][row] - stats.loss[2][row]) <= 1e-5)
                }
            }
        }
        #expect(throws: InputError.self) { try model.nextTokenStatistics(batch: batch, stackedHidden: stacked, runs: 3) }
    }
}

@Suite struct Qwen3PartialLoadingTests {
    @Test func theFirstBlocksAloneGiveTheSameActivations() throws {
        let directory = ModelFixtures.directory("tiny-qwen3")
        let full = try DecoderModel(modelDirectory: directory)
        let partial = try DecoderModel(modelDirectory: directory, blockCount: 2)
        #expect(partial.weights.blockCount == 2 && !partial.weights.isComplete && full.weights.isComplete)
        // Without the head the embedding is only looked up: the bf16 checkpoint's table stays mapped, no fp32 copy.
        #expect(partial.weights.embedding.dtype == .bf16 && full.weights.embedding.dtype == .fp32)
        let batch = PackedBatch([[3, 1, 4, 1, 5, 9, 2, 6]])
        for point in Hook.Point.allCases {
            let hook = Hook(layer: 1, point: point)
            #expect(try partial.forward(batch, stopAt: hook).activations == full.forward(batch, stopAt: hook).activations)
        }
        #expect(throws: InputError.self) { try partial.forward(batch, stopAt: Hook(layer: 2, point: .residPre)) }
        #expect(throws: InputError.self) { try partial.forward(batch) }
        let capture = try partial.forward(batch, stopAt: Hook(layer: 0, point: .residPost))
        #expect(throws: InputError.self) { try partial.continueForward(from: capture, batch: batch) }
    }

    /// A hook in the last block needs every block but not the head: asking for all blocks still leaves the head
    /// (and the fp32 copy of a tied embedding) out.
    @Test func everyBlockWithoutTheHead() throws {
        let directory = ModelFixtures.directory("tiny-qwen3")
        let full = try DecoderModel(modelDirectory: directory)
        let blocks = try DecoderModel(modelDirectory: directory, blockCount: full.layerCount)
        #expect(blocks.weights.blockCount == full.layerCount && !blocks.weights.isComplete)
        #expect(blocks.weights.embedding.dtype == .bf16)
        let batch = PackedBatch([[3, 1, 4, 1, 5, 9, 2, 6]])
        let last = Hook(layer: full.layerCount - 1, point: .residPost)
        #expect(try blocks.forward(batch, stopAt: last).activations == full.forward(batch, stopAt: last).activations)
        #expect(throws: InputError.self) { try blocks.forward(batch) }
    }
}

@Suite struct Qwen3EmptyBatchTests {
    @Test func anEmptyBatchGivesEmptyResults() throws {
        let model = try DecoderModel(modelDirectory: ModelFixtures.directory("tiny-qwen3"))
        let empty = PackedBatch([[], []])
        #expect(empty.sequences.isEmpty)
        #expect(try model.forward(empty, stopAt: Hook(layer: 1, point: .attnOut)).activations.rows == 0)
        let hidden = try model.forward(empty)
        #expect(hidden.rows == 0 && hidden.values.isEmpty)
        #expect(try model.nextTokenStatistics(batch: empty, reference: hidden).targets.isEmpty)
    }
}
