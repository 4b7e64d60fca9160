import Formats
import Foundation
import LMRuntime

/// The pass's view of an activation folder as a `LanguageModel` that can only run "to the hook": a batch's
/// activations are its rows read from the shards. Everything past the hook needs the real model, so the ablation
/// study is not available (`analyze --activations` runs without it).
final class StoredActivationsModel: LanguageModel {
    private let folder: ActivationFolder
    private let hook: Hook
    let vocabSize: Int

    /// `vocabularySize`: of the unembedding when one was read, else of the tokenizer.
    init(folder: ActivationFolder, hook: Hook, vocabularySize: Int) {
        self.folder = folder
        self.hook = hook
        self.vocabSize = vocabularySize
    }

    var layerCount: Int { hook.layer + 1 }
    var hiddenSize: Int { folder.shards.width }
    func width(of hook: Hook) -> Int { folder.shards.width }
    func zeroAblationIsUniform(at hook: Hook) -> Bool { false }

    /// The rows of `batch`'s sequences. A sequence's `text` indexes the folder's texts and `start` is a position in
    /// that text, as `CorpusBatches(folder:options:)` builds them.
    func forward(_ batch: PackedBatch, stopAt hook: Hook) throws -> HookCapture {
        guard hook == self.hook else { throw unavailable("activations at \(hook)") }
        let width = folder.shards.width
        var values = [Float](repeating: 0, count: batch.tokenCount * width)
        values.withUnsafeMutableBufferPointer { out in
            for sequence in batch.sequences {
                let text = folder.texts[sequence.text]
                let first = text.firstRow + sequence.start - text.firstPosition
                folder.shards.read(rows: first..<(first + sequence.count), into: out.baseAddress! + sequence.rows.lowerBound * width)
            }
        }
        return .stored(hook: hook, activations: Activations(rows: batch.tokenCount, width: width, values: values))
    }

    func continueForward(from capture: HookCapture, batch: PackedBatch, stopAt hook: Hook) throws -> HookCapture {
        throw unavailable("the layers after \(self.hook)")
    }

    func continueForward(from capture: HookCapture, replacements: [Activations?], batch: PackedBatch) throws -> Activations {
        throw unavailable("the layers after \(hook)")
    }

    func nextTokenStatistics(batch: PackedBatch, stackedHidden: Activations, runs: Int, tileWidth: Int?) throws -> NextTokenStatistics {
        throw unavailable("next-token predictions")
    }

    private func unavailable(_ what: String) -> InputError {
        InputError("\(what) need the model, which an activation folder does not have", url: folder.url)
    }
}
