@testable import Analyze
@testable import LMRuntime
import Testing

/// The loss effects' store of the pass's hook activations: which batches it keeps depends on their sizes alone, and
/// it gives a window's rows only for the ids the pass ran.
@Suite struct PassCapturesTests {
    /// Texts 0...4 of the pass (corpus texts `textIndices`), one window each.
    static let batches: [PackedBatch] = ([[[1, 2, 3], [4, 5]], [[6, 7, 8, 9]], [[10]], [[11, 12]]] as [[[Int32]]]).reduce(into: []) { batches, texts in
        var batch = PackedBatch()
        let first = batches.reduce(0) { $0 + $1.sequences.count }
        for (offset, tokens) in texts.enumerated() { batch.append(tokens[...], text: first + offset, start: 0) }
        batches.append(batch)
    }
    static let textIndices = [7, 9, 11, 13, 15]

    static func capture(_ batch: PackedBatch, width: Int = 2) -> HookCapture {
        let n = batch.tokenCount
        return HookCapture(
            hook: Hook(layer: 0, point: .residPost),
            activations: Activations(rows: n, width: width, values: batch.tokens.flatMap { [Float($0), -Float($0)] }))
    }

    @Test func keepsTheLongestRunOfBatchesThatFits() {
        // 8 bytes a token: batches of 5, 4, 1 and 2 tokens.
        #expect(PassCaptures(batches: Self.batches, range: 0..<4, rowBytes: 8, byteBudget: 79).kept == 0..<2)
        #expect(PassCaptures(batches: Self.batches, range: 0..<4, rowBytes: 8, byteBudget: 80).kept == 0..<3)
        #expect(PassCaptures(batches: Self.batches, range: 1..<4, rowBytes: 8, byteBudget: 16).kept == 1..<1)
        #expect(PassCaptures(batches: Self.batches, range: 0..<4, rowBytes: 8, byteBudget: 1 << 20).kept == 0..<4)
    }

    @Test func givesAWindowsRowsForTheIdsThePassRan() {
        var captures = PassCaptures(batches: Self.batches, range: 0..<4, rowBytes: 8, byteBudget: 72)
        for (index, batch) in Self.batches.enumerated() {
            captures.keep(Self.capture(batch), batch: index, batch, textIndices: Self.textIndices)
        }
        #expect(captures.kept == 0..<2)
        // Batch 0's second window is corpus text 9 from position 0.
        #expect(captures.capture(text: 9, tokens: [4][...])?.activations.values == [4, -4])
        #expect(captures.capture(text: 9, tokens: [4, 5][...])?.activations.values == [4, -4, 5, -5])
        #expect(captures.capture(text: 11, tokens: [6, 7, 8][...])?.activations.values == [6, -6, 7, -7, 8, -8])
        #expect(captures.capture(text: 7, tokens: [1, 2][...])?.activations.rows == 2)
        #expect(captures.capture(text: 9, tokens: [4, 6][...]) == nil)  // other ids
        #expect(captures.capture(text: 9, tokens: [4, 5, 6][...]) == nil)  // past the window
        #expect(captures.capture(text: 9, tokens: [5][1...]) == nil)  // no window starts at position 1
        #expect(captures.capture(text: 13, tokens: [10][...]) == nil)  // batch 2: past the budget
    }
}
