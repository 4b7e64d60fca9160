import Formats
import Foundation

extension SparseAutoencoder {
    /// SAELens: `cfg.json` + `sae_weights.safetensors` [+ `activation_scaler.json`] [+ `sparsity.safetensors`].
    static func loadSAELens(directory: URL, weights: URL) throws -> SparseAutoencoder {
        let configURL = directory.appendingPathComponent("cfg.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw InputError("missing cfg.json next to sae_weights.safetensors", url: directory)
        }
        var (config, options) = try SAEConfig.saeLens(contentsOf: configURL)
        // SAELens's loaders accept the lowercase spellings Gemma Scope uses.
        let tensors = NamedTensors(safetensors: try SafetensorsFile(contentsOf: weights), aliases: ["w_enc": "W_enc", "w_dec": "W_dec"])
        let d = config.dIn, m = config.dSae
        let featureScale = try tensors.optional("scaling_factor", shape: [m])
        if options.requiresFeatureScalingFactor, featureScale == nil {
            throw InputError("cfg.json sets finetuning_scaling_factor but the tensor \"scaling_factor\" is missing", path: weights.path)
        }
        var encoderWeight = try tensors.required("W_enc", shape: [d, m]).values
        var encoderBias: [Float]?
        var threshold: [Float]?
        switch config.architecture {
        case .gated:
            let gate = GatedEncoder(
                weight: encoderWeight, gateBias: try tensors.required("b_gate", shape: [m]).values,
                logMagnitudeScale: try tensors.required("r_mag", shape: [m]).values,
                magnitudeBias: try tensors.required("b_mag", shape: [m]).values)
            (encoderWeight, encoderBias, threshold) = gate.jumpReLUForm()
        case .jumpReLU:
            encoderBias = try tensors.required("b_enc", shape: [m]).values
            threshold = try tensors.required("threshold", shape: [m]).values
        case .relu, .topK, .batchTopK:
            encoderBias = try tensors.required("b_enc", shape: [m]).values
        }
        var sae = try SparseAutoencoder(
            config: config, encoderWeight: encoderWeight, encoderBias: encoderBias,
            decoderWeight: tensors.required("W_dec", shape: [m, d]).values,
            decoderBias: tensors.required("b_dec", shape: [d]).values,
            threshold: threshold, directory: directory, source: weights.path)
        sae.logFeatureDensity = try readSparsity(directory.appendingPathComponent("sparsity.safetensors"), dSae: m)

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

    /// SAELens's optional `sparsity.safetensors`: tensor `sparsity`, log10 feature density, `[d_sae]`.
    private static func readSparsity(_ url: URL, dSae m: Int) throws -> [Float]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let tensors = NamedTensors(safetensors: try SafetensorsFile(contentsOf: url), aliases: ["log_feature_sparsity": "sparsity"])
        let values = try tensors.required("sparsity", shape: [m]).values
        if let bad = values.firstIndex(where: { $0.isNaN }) {
            throw InputError("sparsity holds NaN at feature \(bad)", path: url.path)
        }
        return values
    }
}
