import Foundation
@testable import LMRuntime
import Testing

@Suite struct ModelPackedBatchTests {
    @Test func packsWindowsInOrderWithoutPadding() {
        let texts: [[Int32]] = [Array(0..<10), [], Array(100..<103), Array(200..<204)]
        let batches = PackedBatch.pack(texts, context: 4, maxTokens: 8)
        // windows: t0 [0,4) [4,8) [8,10); t2 [0,3); t3 [0,4) → batches of ≤ 8 tokens, windows never split
        #expect(batches.map(\.tokenCount) == [8, 5, 4])
        #expect(batches[0].sequences.map(\.text) == [0, 0])
        #expect(batches[1].sequences.map { [$0.text, $0.start, $0.rows.lowerBound, $0.rows.upperBound] } == [[0, 8, 0, 2], [2, 0, 2, 5]])
        #expect(batches[1].tokens == [8, 9, 100, 101, 102])
        #expect(batches.flatMap(\.tokens) == texts.flatMap { $0 })
        #expect(batches[2].longestSequence == 4)
    }

    @Test func aWindowLongerThanTheTokenBudgetGetsItsOwnBatch() {
        let batches = PackedBatch.pack([Array(0..<6), [7]], context: 6, maxTokens: 2)
        #expect(batches.map(\.tokenCount) == [6, 1])
    }

    @Test func repeatingStacksCopiesWithTheirOwnRows() {
        let batch = PackedBatch.pack([[1, 2, 3], [4, 5]], context: 2, maxTokens: 8)[0]
        let twice = batch.repeated(2)
        #expect(twice.tokens == batch.tokens + batch.tokens)
        #expect(twice.sequences.map(\.rows) == [0..<2, 2..<3, 3..<5, 5..<7, 7..<8, 8..<10])
        #expect(twice.sequences.map(\.start) == [0, 2, 0, 0, 2, 0])
        #expect(twice.sequences.map(\.text) == [0, 0, 1, 0, 0, 1])
        #expect(batch.repeated(0).tokenCount == 0)
    }
}
