import Foundation
import Testing
@testable import Analyze

/// Batching, windowing, stopping and resuming: each must give the same numbers as plain one-sequence runs.
@Suite struct Qwen3ForwardTests {
    let reference: ModelFixtures.Reference
    var model: Qwen3Model { reference.model }

    init() throws { reference = try ModelFixtures.Reference("tiny-qwen3") }

    @Test func aPackedBatchEqualsOneByOneRuns() throws {
        let packed = PackedBatch(reference.sequences)
        let hook = Hook(layer: 2, point: .residMid)
        let together = try model.forward(packed, stopAt: hook).activations
        let hiddenTogether = try model.forward(packed)
        for (index, sequence) in packed.sequences.enumerated() {
            let alone = PackedBatch([reference.sequences[index]])
            let d = model.config.hiddenSize
            let rows = (sequence.rows.lowerBound * d)..<(sequence.rows.upperBound * d)
            #expect(ModelFixtures.relativeError(together.values[rows], try model.forward(alone, stopAt: hook).activations.values) <= 1e-6)
            #expect(ModelFixtures.relativeError(hiddenTogether.values[rows], try model.forward(alone).values) <= 1e-6)
        }
    }

    @Test func longTextsAreSplitIntoWindowsThatRestartPositions() throws {
        let text = reference.sequences[2]   // 23 tokens
        let batches = PackedBatch.pack([text], context: 8, maxTokens: 1024)
        #expect(batches.count == 1 && batches[0].sequences.map(\.count) == [8, 8, 7])
        #expect(batches[0].sequences.map(\.start) == [0, 8, 16])
        let hook = Hook(layer: 3, point: .residPost)
        let windows = try model.forward(batches[0], stopAt: hook).activations
        let d = model.config.hiddenSize
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
        for hook in ModelFixtures.allHooks(layers: model.config.layerCount) {
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
        #expect(try model.continueForward(from: post, batch: batch) == model.continueForward(from: pre, batch: batch))
    }

    @Test func nextTokenStatisticsMatchTheLogits() throws {
        let batch = PackedBatch(reference.sequences)
        let clean = try model.forward(batch)
        var capture = try model.forward(batch, stopAt: Hook(layer: 2, point: .residPost))
        capture.activations.values = capture.activations.values.map { $0 * 0.8 }
        let ablated = try model.continueForward(from: capture, batch: batch)
        let stats = try model.nextTokenStatistics(batch: batch, reference: clean, variants: [clean, ablated], chunkRows: 7)

        #expect(stats.rows.count == batch.tokenCount - batch.sequences.count)
        let vocabulary = model.config.vocabSize
        let cleanLogits = model.logits(clean).map(Double.init), ablatedLogits = model.logits(ablated).map(Double.init)
        func logSoftmax(_ logits: [Double], _ row: Int) -> [Double] {
            let values = logits[(row * vocabulary)..<((row + 1) * vocabulary)]
            let largest = values.max()!
            let lse = largest + Foundation.log(values.map { Foundation.exp($0 - largest) }.reduce(0, +))
            return values.map { $0 - lse }
        }
        for (i, row) in stats.rows.enumerated() {
            let next = Int(batch.tokens[row + 1])
            let p = logSoftmax(cleanLogits, row), q = logSoftmax(ablatedLogits, row)
            let kl = zip(p, q).map { Foundation.exp($0) * ($0 - $1) }.reduce(0, +)
            #expect(abs(Double(stats.referenceLoss[i]) + p[next]) < 1e-4)
            #expect(abs(Double(stats.variantLoss[1][i]) + q[next]) < 1e-4)
            #expect(abs(Double(stats.klDivergence[1][i]) - kl) < 1e-5 + 1e-3 * kl)
            #expect(stats.klDivergence[0][i] < 1e-6)
            #expect(stats.variantLoss[0][i] == stats.referenceLoss[i])
        }
        #expect(stats.klDivergence[1].reduce(0, +) > 0)
        // sequence ends are not prediction rows
        #expect(!stats.rows.contains(batch.sequences[0].rows.upperBound - 1))
    }
}

@Suite struct Qwen3PartialLoadingTests {
    @Test func theFirstBlocksAloneGiveTheSameActivations() throws {
        let directory = ModelFixtures.directory("tiny-qwen3")
        let full = try Qwen3Model(modelDirectory: directory)
        let partial = try Qwen3Model(modelDirectory: directory, blockCount: 2)
        #expect(partial.weights.blockCount == 2 && !partial.weights.isComplete && full.weights.isComplete)
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
}

@Suite struct Qwen3EmptyBatchTests {
    @Test func anEmptyBatchGivesEmptyResults() throws {
        let model = try Qwen3Model(modelDirectory: ModelFixtures.directory("tiny-qwen3"))
        let empty = PackedBatch([[], []])
        #expect(empty.sequences.isEmpty)
        #expect(try model.forward(empty, stopAt: Hook(layer: 1, point: .attnOut)).activations.rows == 0)
        let hidden = try model.forward(empty)
        #expect(hidden.rows == 0 && hidden.values.isEmpty)
        #expect(try model.nextTokenStatistics(batch: empty, reference: hidden).rows.isEmpty)
    }
}
