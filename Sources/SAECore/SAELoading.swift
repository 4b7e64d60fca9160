import Formats
import Foundation

extension SparseAutoencoder {
    /// Loads an SAE directory in either format: the seed's (`weights.pt` + `config.json` [+ `history.json`]) or
    /// SAELens's (`cfg.json` + `sae_weights.safetensors` [+ `activation_scaler.json`]).
    ///
    /// Weights are loaded strictly: a missing tensor, a wrong shape or a NaN/Inf value is an `InputError` naming the
    /// file. Configs are read tolerantly (see `SAEConfig.seed(contentsOf:)` / `SAEConfig.saeLens(contentsOf:)`).
    public init(directory: URL) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError("SAE directory not found", url: directory)
        }
        let seedWeights = directory.appendingPathComponent("weights.pt")
        let saeLensWeights = directory.appendingPathComponent("sae_weights.safetensors")
        if fileManager.fileExists(atPath: seedWeights.path) {
            self = try Self.loadSeed(directory: directory, weights: seedWeights)
        } else if fileManager.fileExists(atPath: saeLensWeights.path) {
            self = try Self.loadSAELens(directory: directory, weights: saeLensWeights)
        } else {
            throw InputError("not an SAE directory: expected weights.pt + config.json (seed) or "
                             + "sae_weights.safetensors + cfg.json (SAELens)", url: directory)
        }
    }

    private static func loadSeed(directory: URL, weights: URL) throws -> SparseAutoencoder {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw InputError("missing config.json next to weights.pt", url: directory)
        }
        let config = try SAEConfig.seed(contentsOf: configURL)
        let state = try TorchStateDict(contentsOf: weights)
        let tensors = NamedTensors(source: weights.path, names: Set(state.tensorNames),
                                   shape: { state.shape(of: $0) }, read: { try state.floatTensor($0) })
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

    private static func loadSAELens(directory: URL, weights: URL) throws -> SparseAutoencoder {
        let configURL = directory.appendingPathComponent("cfg.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw InputError("missing cfg.json next to sae_weights.safetensors", url: directory)
        }
        var (config, options) = try SAEConfig.saeLens(contentsOf: configURL)
        let file = try SafetensorsFile(contentsOf: weights)
        // SAELens's loaders accept the lowercase spellings Gemma Scope uses.
        let aliases = ["w_enc": "W_enc", "w_dec": "W_dec"]
        var names: [String: String] = [:]
        for name in file.tensorNames { names[aliases[name] ?? name] = name }
        let tensors = NamedTensors(source: weights.path, names: Set(names.keys),
                                   shape: { file.shape(of: names[$0]!) }, read: { try file.floatTensor(names[$0]!) })
        let d = config.dIn, m = config.dSae
        let featureScale = try tensors.optional("scaling_factor", shape: [m])
        if options.requiresFeatureScalingFactor, featureScale == nil {
            throw InputError("cfg.json sets finetuning_scaling_factor but the tensor \"scaling_factor\" is missing", path: weights.path)
        }
        let threshold = config.architecture == .jumpReLU ? try tensors.required("threshold", shape: [m]).values : nil
        var sae = try SparseAutoencoder(
            config: config,
            encoderWeight: tensors.required("W_enc", shape: [d, m]).values,
            encoderBias: tensors.required("b_enc", shape: [m]).values,
            decoderWeight: tensors.required("W_dec", shape: [m, d]).values,
            decoderBias: tensors.required("b_dec", shape: [d]).values,
            threshold: threshold, directory: directory, source: weights.path)

        if let featureScale, featureScale.values.contains(where: { $0 != 1 }) {
            sae.foldFeatureScaling(featureScale.values)
            config.foldedFeatureScalingFactor = true
        }
        if options.rescaleByDecoderNorm {
            guard config.architecture == .topK else {
                throw InputError("rescale_acts_by_decoder_norm is only supported for topk SAEs", url: configURL)
            }
            sae.foldDecoderNorms()
            config.rescaledByDecoderNorm = true
        }
        if let factor = options.inputScalingFactor {
            sae.foldInputScaling(Float(factor))
        }
        sae.config = config
        return sae
    }
}

/// Strict access to the tensors of one weights file: a required tensor must exist with exactly the given shape.
private struct NamedTensors {
    let source: String
    let names: Set<String>
    let shape: (String) -> [Int]?
    let read: (String) throws -> FloatTensor

    func required(_ name: String, shape expected: [Int]) throws -> FloatTensor {
        guard names.contains(name) else {
            throw InputError("missing tensor \"\(name)\" (the file has: \(names.sorted().joined(separator: ", ")))", path: source)
        }
        return try optional(name, shape: expected)!
    }

    func optional(_ name: String, shape expected: [Int]) throws -> FloatTensor? {
        guard names.contains(name) else { return nil }
        let actual = shape(name) ?? []
        guard actual == expected else {
            throw InputError("tensor \"\(name)\" has shape \(actual), expected \(expected)", path: source)
        }
        return try read(name)
    }
}

