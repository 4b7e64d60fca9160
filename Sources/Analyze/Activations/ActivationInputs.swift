import Formats
import Foundation
import LMRuntime
import SAECore
import Tokenizers

extension AnalysisInputs {
    /// The inputs of `analyze --activations DIR`: the SAE, the checked folder (docs/activations.md), the tokenizer
    /// for display (the folder's, else the `--unembedding` model's), and `W_U` with the final norm when an
    /// unembedding directory is given. The folder's hook must be the SAE's.
    init(activations folderURL: URL, options: AnalysisOptions) throws {
        guard options.pass.ablation == .none else {
            throw InputError("an activation folder has no model to run the ablation study with", url: folderURL)
        }
        sae = try SparseAutoencoder(directory: options.paths.sae, options: options.pass.sae.loadOptions)
        let manifest = try ActivationManifest(folder: folderURL)
        let manifestURL = folderURL.appendingPathComponent(ActivationManifest.fileName)
        let unembedding = try options.paths.unembedding.map { try Unembedding(modelDirectory: $0, dtype: options.pass.dtype) }
        if let tokenizerName = manifest.tokenizer {
            tokenizer = try Tokenizer(contentsOf: folderURL.appendingPathComponent(tokenizerName))
        } else if let directory = options.paths.unembedding {
            tokenizer = try Tokenizer(modelDirectory: directory)
        } else {
            throw InputError(
                "no tokenizer to show the tokens with: the manifest names none (\"tokenizer\") and no --unembedding "
                    + "model directory was given", url: manifestURL)
        }
        let hookName = try SAEHookCheck.resolve(
            sae: sae.config, requestedHook: options.pass.hook, requestedLayer: options.pass.layer, modelWidth: sae.dIn)
        guard manifest.hookName == hookName else {
            throw InputError("the activations are at \(manifest.hookName) but the SAE reads \(hookName)", url: manifestURL)
        }
        hook = try Hook(parsing: hookName, layerCount: unembedding?.spec.layerCount ?? 1 << 20)
        if let unembedding, hook.point != .attnZ, unembedding.width != sae.dIn {
            throw InputError(
                "the model's hidden size is \(unembedding.width) but the SAE's d_in is \(sae.dIn)",
                url: options.paths.unembedding!.appendingPathComponent("config.json"))
        }
        let vocabularySize = max(unembedding?.vocabSize ?? 0, tokenizer.vocabularySize)
        let folder = try ActivationFolder(url: folderURL, dIn: sae.dIn, vocabularySize: vocabularySize)
        corpus = nil
        activations = folder
        self.vocabularySize = vocabularySize
        self.unembedding = unembedding
        model = StoredActivationsModel(folder: folder, hook: hook, vocabularySize: vocabularySize)
        // The folder's rows are the texts as the tokenizer encoded them; their special positions are left out as in
        // a direct run. The rows are used as stored: a folder for an SAE that reads the centered residual must hold it.
        specialTokens = SpecialTokens(start: .tokenizerDefault, ids: tokenizer.specialTokenIDs)
        view = .unchanged
        topKMode = sae.config.architecture.isTopK ? (options.pass.topKMode ?? .default(for: sae.config.architecture)) : nil
    }
}
