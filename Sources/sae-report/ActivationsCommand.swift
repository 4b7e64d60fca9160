import Analyze
import ArgumentParser
import Formats
import Foundation
import LMRuntime
import Tokenizers

struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "Run the model and save every token's activation at a hook as float32 [n_tokens, d] .npy.",
        discussion: """
        Texts are tokenized with the model's tokenizer.json (no BOS is added), split into windows of at most --ctx \
        tokens (each window starts again at position 0) and run in packed batches of about --batch-tokens tokens; \
        the forward pass stops at the hook. Rows follow the corpus order: all tokens of the first text, then the \
        next. Texts that are empty or whitespace only are skipped, as `analyze` does.
        """)
    @Option(help: "Hugging Face model directory (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    @Option(help: "Hook name, e.g. blocks.9.hook_resid_post.") var hook: String
    @Option(name: .shortAndLong, help: "Output .npy file.") var output: String
    @Option(help: "Context window: longer texts are split into windows of this many tokens.") var ctx = 1024
    @Option(help: "Tokens per forward batch (memory grows with it).") var batchTokens = 4096

    func run() throws {
        try reportingInputErrors {
            guard ctx > 0 else { throw InputError("--ctx must be positive, not \(ctx)") }
            guard batchTokens > 0 else { throw InputError("--batch-tokens must be positive, not \(batchTokens)") }
            let modelDirectory = URL(fileURLWithPath: model)
            let spec = try DecoderSpec(contentsOf: modelDirectory.appendingPathComponent("config.json"))
            let hook = try Hook(parsing: self.hook, layerCount: spec.layerCount)
            let corpus = try Corpus(contentsOf: URL(fileURLWithPath: data))
            let tokenizer = try Tokenizer(modelDirectory: modelDirectory)
            // Blocks after the hook's are never run, so they are not loaded either.
            let weights = try ModelWeights(spec: spec, checkpoint: SafetensorsCheckpoint(directory: modelDirectory),
                                           blockCount: hook.blocksNeeded)
            let forward = DecoderModel(weights: weights, contextLength: ctx)

            let texts = corpus.usedIndices.map { tokenizer.encode(corpus.texts[$0]) }
            let batches = PackedBatch.pack(texts, context: ctx, maxTokens: batchTokens)
            let tokenCount = batches.reduce(0) { $0 + $1.tokenCount }
            let outputURL = URL(fileURLWithPath: output)
            let width = forward.width(of: hook)
            let writer = try NPYStreamWriter(url: outputURL, rows: tokenCount, columns: width)
            do {
                for batch in batches { try writer.append(forward.forward(batch, stopAt: hook).activations.values) }
                try writer.close()
            } catch {
                writer.discard()
                throw error
            }
            printError("\(output): [\(tokenCount), \(width)] float32 at \(hook) from \(texts.count) texts "
                       + "(\(corpus.skipped.count) skipped) in \(batches.count) batches")
        }
    }
}
