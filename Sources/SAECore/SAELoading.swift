import Formats
import Foundation

extension SparseAutoencoder {
    /// Loads an SAE folder in any supported format (`SAEFormat`): the seed's, SAELens (all architectures and
    /// normalisations), Gemma Scope 1 and 2, EleutherAI sparsify, OpenAI's GPT-2 TopK and Llama Scope. `directory` may
    /// also be an OpenAI `.pt` file. A folder of several SAEs needs `options.hookpoint`.
    ///
    /// Weights are loaded strictly: a missing tensor, a wrong shape or a NaN/Inf value is an `InputError` naming the
    /// file. Configs are read tolerantly (unknown keys are ignored).
    public init(directory: URL, options: SAELoadOptions = SAELoadOptions()) throws {
        let location = try SAELocation.find(directory, hookpoint: options.hookpoint)
        switch location.format {
        case .seed: self = try Self.loadSeed(directory: location.directory, weights: location.weights)
        case .saelens: self = try Self.loadSAELens(directory: location.directory, weights: location.weights)
        case .gemmaScope: self = try Self.loadGemmaScope(location, site: options.site)
        case .gemmaScope2: self = try Self.loadGemmaScope2(location)
        case .sparsify: self = try Self.loadSparsify(location)
        case .openAI: self = try Self.loadOpenAI(location, k: options.k)
        case .llamaScope: self = try Self.loadLlamaScope(location)
        }
    }

    static func loadSeed(directory: URL, weights: URL) throws -> SparseAutoencoder {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw InputError("missing config.json next to weights.pt", url: directory)
        }
        let config = try SAEConfig.seed(contentsOf: configURL)
        let state = try TorchStateDict(contentsOf: weights)
        let tensors = NamedTensors(stateDict: state)
        let d = config.dIn, m = config.dSae
        let everFired = try tensors.optional("ever_fired", shape: [m]).map { $0.values.map { $0 != 0 } }
        let historyURL = directory.appendingPathComponent("history.json")
        let history = FileManager.default.fileExists(atPath: historyURL.path) ? try TrainingHistory(contentsOf: historyURL) : nil
        return try SparseAutoencoder(
            config: config,
            encoderWeight: tensors.required("W_enc", shape: [d, m]).values,
            encoderBias: tensors.required("b_enc", shape: [m]).values,
            decoderWeight: tensors.required("W_dec", shape: [m, d]).values,
            decoderBias: tensors.required("b_dec", shape: [d]).values,
            everFired: everFired, history: history, directory: directory, source: weights.path)
    }
}
