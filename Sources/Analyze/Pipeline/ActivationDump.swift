import Formats
import Foundation
import LMRuntime
import Tokenizers

/// Every token's activation at a hook, written as a float32 `[n_tokens, d]` `.npy` (the `activations` command).
///
/// Texts are tokenized with the model's tokenizer (no BOS added), split into windows of at most `context` tokens and
/// run in packed batches; the forward stops at the hook, and blocks after it are not even loaded. Rows follow the
/// corpus order; empty and whitespace-only texts are skipped, as `analyze` skips them.
public enum ActivationDump {
    public struct Summary: Sendable {
        public var tokens: Int
        public var width: Int
        public var texts: Int
        public var skippedTexts: Int
        public var batches: Int
        public var hook: Hook
    }

    public static func write(
        model modelDirectory: URL, corpus corpusFile: URL, hook hookName: String, to output: URL,
        context: Int, batchTokens: Int, dtype: WeightDType = .fp32
    ) throws -> Summary {
        let spec = try DecoderSpec(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        let hook = try Hook(parsing: hookName, layerCount: spec.layerCount)
        let corpus = try Corpus(contentsOf: corpusFile)
        let tokenizer = try Tokenizer(modelDirectory: modelDirectory)
        let weights = try ModelWeights(
            spec: spec, checkpoint: SafetensorsCheckpoint(directory: modelDirectory),
            blockCount: hook.blocksNeeded, dtype: dtype)
        BLAS.configure()
        let forward = DecoderModel(weights: weights, contextLength: context)

        let texts = corpus.usedIndices.map { tokenizer.encode(corpus.texts[$0]) }
        let batches = PackedBatch.pack(texts, context: context, maxTokens: batchTokens)
        let tokenCount = batches.reduce(0) { $0 + $1.tokenCount }
        let width = forward.width(of: hook)
        let writer = try NPYStreamWriter(url: output, rows: tokenCount, columns: width)
        do {
            for batch in batches { try writer.append(forward.forward(batch, stopAt: hook).activations.values) }
            try writer.close()
        } catch {
            writer.discard()
            throw error
        }
        return Summary(
            tokens: tokenCount, width: width, texts: texts.count,
            skippedTexts: corpus.skipped.count, batches: batches.count, hook: hook)
    }
}
