import Analyze
import ArgumentParser
import Foundation

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
            let config = try Qwen3Config(contentsOf: modelDirectory.appendingPathComponent("config.json"))
            let hook = try Hook(parsing: self.hook, layerCount: config.layerCount)
            let corpus = try Corpus(contentsOf: URL(fileURLWithPath: data))
            let tokenizer = try Tokenizer(modelDirectory: modelDirectory)
            // Blocks after the hook's are never run, so they are not loaded either.
            let weights = try Qwen3Weights(config: config, checkpoint: SafetensorsCheckpoint(directory: modelDirectory),
                                           blockCount: hook.layer + 1)
            let forward = Qwen3Model(weights: weights, contextLength: ctx)

            let texts = corpus.usedIndices.map { tokenizer.encode(corpus.texts[$0]) }
            let batches = PackedBatch.pack(texts, context: ctx, maxTokens: batchTokens)
            let tokenCount = batches.reduce(0) { $0 + $1.tokenCount }
            let outputURL = URL(fileURLWithPath: output)
            try NPYRowWriter.write(to: outputURL, rows: tokenCount, columns: config.hiddenSize) { append in
                for batch in batches {
                    try append(forward.forward(batch, stopAt: hook).activations.values)
                }
            }
            printError("\(output): [\(tokenCount), \(config.hiddenSize)] float32 at \(hook) from \(texts.count) texts "
                       + "(\(corpus.skipped.count) skipped) in \(batches.count) batches")
        }
    }
}

/// Streams a float32 `[rows, columns]` `.npy` (version 1.0) to a temporary sibling file, renamed into place once
/// every row is written, so a large activation matrix never has to sit in memory whole.
enum NPYRowWriter {
    static func write(to url: URL, rows: Int, columns: Int, _ body: (_ append: ([Float]) throws -> Void) throws -> Void) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: header(rows: rows, columns: columns)),
              let handle = try? FileHandle(forWritingTo: temporary) else {
            throw InputError("cannot create the output file", url: url)
        }
        do {
            defer { try? handle.close() }
            handle.seekToEndOfFile()
            var written = 0
            try body { values in
                precondition(values.count % columns == 0 && written + values.count <= rows * columns, "row count mismatch")
                try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
                written += values.count
            }
            precondition(written == rows * columns, "wrote \(written) of \(rows * columns) values")
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error is InputError ? error : InputError("cannot write the output file (\(error.localizedDescription))", url: url)
        }
        guard rename(temporary.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw InputError("cannot write file: \(String(cString: strerror(errno)))", url: url)
        }
    }

    /// Magic, version 1.0, header length, and the header dict padded so the data starts at a multiple of 64 bytes.
    static func header(rows: Int, columns: Int) -> Data {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + dict.utf8.count + 1
        dict += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(dict.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(dict.utf8))
        return data
    }
}
