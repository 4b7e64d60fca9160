import Formats
import Foundation
import LMRuntime

extension CorpusBatches {
    /// The batches of an activation folder's rows, packed as `PackedBatch.pack` packs a corpus: each text is cut
    /// into windows where its position reaches a multiple of the manifest's `context` (the windows the model ran),
    /// and the windows fill batches of up to `--batch-tokens` tokens in row order (with `--topk-mode batch`, one
    /// batch per `--batch-texts` texts). A folder written by `activations` with the run's settings so gives the
    /// direct run's batches exactly. A sequence's `text` indexes `folder.texts`; its `start` is a text position.
    init(folder: ActivationFolder, options: AnalysisOptions) throws {
        var texts = folder.texts
        if let maxTexts = options.pass.maxTexts { texts = Array(texts.prefix(max(1, maxTexts))) }
        let table = folder.table
        func windows(_ text: ActivationFolder.TextRun) -> [Range<Int>] {
            var windows: [Range<Int>] = []
            var start = 0
            for offset in 1..<(text.count + 1) {
                let position = text.firstPosition + offset
                if offset == text.count || folder.manifest.context.map({ position % $0 == 0 }) == true {
                    windows.append(start..<offset)
                    start = offset
                }
            }
            return windows
        }
        var batches: [PackedBatch] = []
        var current = PackedBatch()
        func flush() {
            if current.tokenCount > 0 { batches.append(current) }
            current = PackedBatch()
        }
        for (local, text) in texts.enumerated() {
            if options.pass.topKMode == .batch, local % options.pass.batchTexts == 0 { flush() }
            for window in windows(text) {
                if options.pass.topKMode != .batch, current.tokenCount > 0,
                    current.tokenCount + window.count > options.pass.batchTokens
                {
                    flush()
                }
                let rows = (text.firstRow + window.lowerBound)..<(text.firstRow + window.upperBound)
                current.append(table.tokenIDs[rows], text: local, start: text.firstPosition + window.lowerBound)
            }
        }
        flush()
        textIndices = texts.map(\.textIndex)
        skipped = folder.manifest.skippedTexts
        self.batches = batches
        totalTokens = batches.reduce(0) { $0 + $1.tokenCount }
    }
}
