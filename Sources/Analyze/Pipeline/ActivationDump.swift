import Formats
import Foundation
import LMRuntime
import SAECore
import Tokenizers

/// Every token's activation at a hook, written as an activation folder (docs/activations.md; the `activations`
/// command) that `analyze --activations` reads back.
///
/// Texts are tokenized with the tokenizer's own encoding (a BOS only where its post-processor adds one), or, given the
/// SAE the folder is for, as `analyze --model` feeds that SAE (with `prepend_bos`, a BOS before every model window;
/// for a `center_writing_weights` SAE, the centered residual), and packed as `analyze` packs them (windows of at most
/// `context` tokens; batches of about `batchTokens`); the forward stops at the hook, and blocks after it are not even loaded. Rows
/// follow the corpus order, float32, in shards of at most `shardTokens` rows; the token table holds each row's
/// token id, text index and position in its text (as the activation database's token table does); the model's
/// `tokenizer.json` is copied in. The folder is written beside `output` and renamed into place at the end.
public enum ActivationDump {
    public struct Summary: Sendable {
        public var tokens: Int
        public var width: Int
        public var texts: Int
        public var skippedTexts: Int
        public var batches: Int
        public var shards: Int
        public var hook: Hook
        /// The SAE's recorded model is of another family (written with `allowOtherModel`).
        public var modelWarning: String?
    }

    /// The SAE a folder is written for, and which of its folder's SAEs (`--hookpoint`, `--site`, `--k`).
    public struct SAEChoice: Sendable {
        public var directory: URL
        public var selection: SAESelection
        /// Write the folder for an SAE that records a model of another family (`--allow-other-model`).
        public var allowOtherModel: Bool
        public init(directory: URL, selection: SAESelection = SAESelection(), allowOtherModel: Bool = false) {
            self.directory = directory
            self.selection = selection
            self.allowOtherModel = allowOtherModel
        }
    }

    public static let tokensFileName = "tokens.npy"
    public static let tokenizerFileName = "tokenizer.json"

    /// `activations-00000.npy`, …
    static func shardName(_ index: Int) -> String { "activations-" + String(format: "%05d", index) + ".npy" }

    /// `hookName` is required without `sae`; with it, it may be omitted (the SAE's hook) or must name the SAE's hook.
    public static func write(
        model modelDirectory: URL, corpus corpusFile: URL, hook hookName: String?, sae: SAEChoice? = nil, to output: URL,
        context: Int, batchTokens: Int, shardTokens: Int? = nil, dtype: WeightDType = .fp32
    ) throws -> Summary {
        let spec = try DecoderSpec(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        var options = AnalysisOptions(
            modelDirectory: modelDirectory, saeDirectory: sae?.directory ?? modelDirectory, corpusFile: corpusFile, output: nil)
        options.pass.context = context
        options.pass.batchTokens = batchTokens
        options.pass.hook = hookName
        options.pass.sae = sae?.selection ?? SAESelection()
        let autoencoder = try sae.map { try SparseAutoencoder(directory: $0.directory, options: options.pass.sae.loadOptions) }
        options.control.allowOtherModel = sae?.allowOtherModel ?? false
        let hook: Hook
        var modelWarning: String?
        if let autoencoder {
            hook = try AnalysisInputs.hook(reading: autoencoder, in: spec, at: modelDirectory, options: options)
            modelWarning = try AnalysisInputs.modelFamilyWarning(
                reading: autoencoder, in: spec, at: modelDirectory, options: options)
        } else {
            guard let hookName else { throw InputError("give the hook to capture, or the SAE whose hook it is") }
            do {
                hook = try spec.hook(named: hookName)
            } catch let error as InputError {
                throw InputError(error.message, url: modelDirectory.appendingPathComponent("config.json"))
            }
        }
        let corpus = try Corpus(contentsOf: corpusFile)
        let tokenizer = try Tokenizer(modelDirectory: modelDirectory)
        // Without an SAE every position as the tokenizer encodes the text; with one, the texts as `analyze` starts
        // them for it. An analysis of the folder leaves out the special positions either way.
        let specialTokens =
            try autoencoder.map {
                try SpecialTokens(tokenizer: tokenizer, modelDirectory: modelDirectory, prependBOS: $0.config.metadata.prependBOS)
            } ?? SpecialTokens(start: .tokenizerDefault, ids: tokenizer.specialTokenIDs)
        if specialTokens.prependedBOS != nil && context < 2 {
            throw InputError(
                "the SAE was trained with prepend_bos: every model window starts with BOS, so --ctx must be at least 2, not \(context)",
                url: sae?.directory ?? modelDirectory)
        }
        let view = autoencoder.map { SAEInputView(metadata: $0.config.metadata, spec: spec, hook: hook) } ?? .unchanged
        let weights = try ModelWeights(
            spec: spec, checkpoint: SafetensorsCheckpoint(directory: modelDirectory),
            blockCount: hook.blocksNeeded, dtype: dtype)
        guard !FileManager.default.fileExists(atPath: output.path) else {
            throw InputError("already exists; the activation folder is written as a new directory", url: output)
        }
        BLAS.configure()
        let forward = DecoderModel(weights: weights, contextLength: context)
        let corpusBatches = try CorpusBatches(corpus: corpus, tokenizer: tokenizer, specialTokens: specialTokens, options: options)
        let width = forward.width(of: hook)
        let rowsPerShard = max(1, shardTokens ?? corpusBatches.totalTokens)
        let shardRows = stride(from: 0, to: corpusBatches.totalTokens, by: rowsPerShard).map {
            min(rowsPerShard, corpusBatches.totalTokens - $0)
        }

        let staging = output.deletingLastPathComponent()
            .appendingPathComponent(".\(output.lastPathComponent).\(UUID().uuidString).partial")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw InputError("cannot create directory (\(error.localizedDescription))", url: output)
        }
        do {
            var table = TokenTable(tokenIDs: [], textIndices: [], positions: [])
            var shard = 0, rowsInShard = 0
            var writer = try NPYStreamWriter(url: staging.appendingPathComponent(shardName(0)), rows: shardRows[0], columns: width)
            for batch in corpusBatches.batches {
                let values = view.activations(try forward.forward(batch, stopAt: hook).activations).values
                var row = 0
                while row < batch.tokenCount {
                    if rowsInShard == shardRows[shard] {
                        try writer.close()
                        shard += 1
                        rowsInShard = 0
                        writer = try NPYStreamWriter(
                            url: staging.appendingPathComponent(shardName(shard)), rows: shardRows[shard], columns: width)
                    }
                    let rows = min(batch.tokenCount - row, shardRows[shard] - rowsInShard)
                    try values.withUnsafeBufferPointer { try writer.append(UnsafeBufferPointer(rebasing: $0[(row * width)..<((row + rows) * width)])) }
                    row += rows
                    rowsInShard += rows
                }
                for record in corpusBatches.tokenRecords(batch) {
                    table.tokenIDs.append(record.tokenID)
                    table.textIndices.append(record.textIndex)
                    table.positions.append(record.position)
                }
            }
            try writer.close()
            try table.writeNPY(to: staging.appendingPathComponent(tokensFileName))
            try FileManager.default.copyItem(
                at: modelDirectory.appendingPathComponent(tokenizerFileName), to: staging.appendingPathComponent(tokenizerFileName))
            let manifest = ActivationManifest(
                modelName: modelDirectory.standardizedFileURL.lastPathComponent, hookName: hook.description, dIn: width,
                dtype: .float32, shards: shardRows.indices.map(shardName), tokens: tokensFileName, tokenizer: tokenizerFileName,
                context: context, textCount: corpus.texts.count, skippedTexts: corpusBatches.skipped)
            try Data((manifest.json.pretty + "\n").utf8).write(to: staging.appendingPathComponent(ActivationManifest.fileName))
            guard rename(staging.path, output.path) == 0 else {
                throw InputError("cannot move the folder into place: \(String(cString: strerror(errno)))", url: output)
            }
        } catch {
            try? FileManager.default.removeItem(at: staging)
            if error is InputError { throw error }
            throw InputError("cannot write the activation folder (\(error.localizedDescription))", url: output)
        }
        return Summary(
            tokens: corpusBatches.totalTokens, width: width, texts: corpusBatches.textIndices.count,
            skippedTexts: corpusBatches.skipped.count, batches: corpusBatches.batches.count, shards: shardRows.count, hook: hook,
            modelWarning: modelWarning)
    }
}
