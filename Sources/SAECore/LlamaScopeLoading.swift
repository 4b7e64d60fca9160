import Formats
import Foundation

extension SparseAutoencoder {
    /// Llama Scope: `hyperparams.json` + `checkpoints/final.safetensors` (`encoder.weight [d_sae, d]`, `encoder.bias`,
    /// `decoder.weight [d, d_sae]`, `decoder.bias`), read as SAELens's `llama_scope_sae_huggingface_loader` does:
    ///
    /// - "dataset-wise" input norm: inputs are scaled by `s = sqrt(d_model) / dataset_average_activation_norm.in`
    ///   (SAELens `expected_average_only_in`), folded into the weights like every such factor;
    /// - JumpReLU with one threshold for all features, `jump_relu_threshold · s` (SAELens PR #483);
    /// - no decoder-norm gating: `sparsity_include_decoder_norm` is ignored, as SAELens ignores it. OpenMOSS's own
    ///   code gates on `pre·‖W_dec_i‖` instead, and which recipe gives the paper's L0 is disputed (Llamascopium #128),
    ///   so we follow the loader most tools (and Neuronpedia) use.
    static func loadLlamaScope(_ location: SAELocation) throws -> SparseAutoencoder {
        let configURL = location.directory.appendingPathComponent("hyperparams.json")
        let config = try JSONConfig(contentsOf: configURL)
        let d = try config.int("d_model"), m = try config.int("d_sae")
        guard d > 0, m > 0 else { throw InputError("d_model (\(d)) and d_sae (\(m)) must be positive", url: configURL) }
        guard let hook = try config.optionalString("hook_point_in") else { throw config.error("hook_point_in", "is missing") }
        if let out = try config.optionalString("hook_point_out"), out != hook {
            throw InputError("transcoders (hook_point_in \(hook), hook_point_out \(out)) are not supported, only SAEs", url: configURL)
        }
        let activation = try config.optionalString("act_fn") ?? "jumprelu"
        guard activation == "jumprelu" else { throw InputError("act_fn \"\(activation)\" is not supported (supported: jumprelu)", url: configURL) }
        guard let rawThreshold = try config.optionalDouble("jump_relu_threshold") else { throw config.error("jump_relu_threshold", "is missing") }
        if try config.optionalBool("apply_decoder_bias_to_pre_encoder") == true {
            throw InputError("apply_decoder_bias_to_pre_encoder true is not supported (the Llama Scope releases use false)", url: configURL)
        }
        let norm = try config.optionalString("norm_activation") ?? "dataset-wise"
        var scale: Double?
        switch norm {
        case "dataset-wise":
            guard let norms = try config.optionalObject("dataset_average_activation_norm"),
                let inputNorm = try norms.optionalDouble("in"), inputNorm.isFinite, inputNorm > 0
            else {
                throw InputError("norm_activation dataset-wise needs a positive dataset_average_activation_norm.in", url: configURL)
            }
            scale = Double(d).squareRoot() / inputNorm
        case "none", "inference":
            scale = nil
        default:
            throw InputError("norm_activation \"\(norm)\" is not supported (supported: dataset-wise, none)", url: configURL)
        }

        let weightsPath = location.weights.path
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw InputError("missing checkpoints/final.safetensors next to hyperparams.json", url: location.directory)
        }
        let tensors = NamedTensors(safetensors: try SafetensorsFile(contentsOf: location.weights))
        let threshold = Float(rawThreshold * (scale ?? 1))
        let sae = SAEConfig(
            format: .llamaScope, architecture: .jumpReLU, dIn: d, dSae: m, hookName: hook, layer: SAEConfig.layer(inHookName: hook),
            k: nil, dtype: try config.optionalString("dtype") ?? "bfloat16", appliesDecoderBiasToInput: false, usesEncoderBias: true,
            normalization: scale == nil ? .none : .expectedAverageOnlyIn, inputScalingFactor: scale,
            modelName: "meta-llama/Llama-3.1-8B",
            metadata: SAEMetadata(prependBOS: true, contextSize: 1024, datasetPath: "cerebras/SlimPajama-627B"))
        var result = try SparseAutoencoder(
            config: sae,
            encoderWeight: tensors.requiredTransposed("encoder.weight", rows: d, columns: m),
            encoderBias: tensors.required("encoder.bias", shape: [m]).values,
            decoderWeight: tensors.requiredTransposed("decoder.weight", rows: m, columns: d),
            decoderBias: tensors.required("decoder.bias", shape: [d]).values,
            threshold: [Float](repeating: threshold, count: m),
            directory: location.directory, source: weightsPath)
        if let scale { result.foldInputScaling(Float(scale)) }
        return result
    }
}
