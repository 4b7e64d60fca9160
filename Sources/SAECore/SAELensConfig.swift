import Formats
import Foundation

/// What a SAELens `cfg.json` asks of the weights, beyond `SAEConfig`: which optional tensors to expect and fold.
struct SAELensOptions {
    /// `expected_average_only_in` factor (from `activation_scaler.json` or the config's `norm_scaling_factor`).
    var inputScalingFactor: Double?
    var rescaleByDecoderNorm: Bool
    /// Legacy `finetuning_scaling_factor: true`: the `scaling_factor` tensor must be present.
    var requiresFeatureScalingFactor: Bool
}

extension SAEConfig {
    /// Parses a SAELens `cfg.json`, either the v6 layout (`architecture`, `metadata: {hook_name, ...}`) or the legacy
    /// flat one (`hook_point`/`hook_name`, `hook_point_layer`/`hook_layer`, `activation_fn_str`, ...).
    ///
    /// Supported: architectures standard, gated, topk (incl. `rescale_acts_by_decoder_norm`), jumprelu (also the
    /// batchtopk / matryoshka_batchtopk SAEs SAELens saves as jumprelu); `apply_b_dec_to_input` either way;
    /// `normalize_activations` "none", "constant_norm_rescale", "layer_norm", or "expected_average_only_in" with its
    /// factor in `activation_scaler.json` (`{"scaling_factor": s}`) or `norm_scaling_factor`; `attn.hook_z` hooks
    /// (the heads concatenated, which is how the activations arrive). Per-head hooks (`hook_head_index`) and other
    /// architectures are an `InputError` that names the option.
    static func saeLens(contentsOf url: URL) throws -> (SAEConfig, SAELensOptions) {
        let config = try JSONConfig(contentsOf: url)
        let metadata = try config.optionalObject("metadata")
        func field<T>(_ read: (JSONConfig) throws -> T?) throws -> T? {
            if let value = try read(config) { return value }
            return try metadata.flatMap(read)
        }

        let dIn = try config.int("d_in")
        let dSae = try config.int("d_sae")
        guard dIn > 0, dSae > 0 else {
            throw InputError("d_in (\(dIn)) and d_sae (\(dSae)) must be positive", url: url)
        }
        guard let hookName = try field({ try $0.optionalString("hook_name") }) ?? field({ try $0.optionalString("hook_point") }) else {
            throw InputError("no hook: neither hook_name (top level or metadata) nor hook_point is set", url: url)
        }
        if try field({ try $0.optionalInt("hook_head_index") }) ?? field({ try $0.optionalInt("hook_point_head_index") }) != nil {
            throw InputError("per-head SAEs (hook_head_index) are not supported", url: url)
        }
        let reshape = try config.optionalString("reshape_activations") ?? "none"
        guard reshape == "none" || reshape == "hook_z" else {
            throw InputError("reshape_activations \"\(reshape)\" is not supported (supported: none, hook_z)", url: url)
        }
        let layer =
            try field({ try $0.optionalInt("hook_layer") }) ?? field({ try $0.optionalInt("hook_point_layer") })
            ?? Self.layer(inHookName: hookName)

        let (architecture, k) = try saeLensArchitecture(config, dSae: dSae)
        let normalization = try saeLensNormalization(config)
        var scalingFactor: Double?
        if normalization == .expectedAverageOnlyIn {
            scalingFactor = try saeLensScalingFactor(config)
        }

        let sae = SAEConfig(
            format: .saelens, architecture: architecture, dIn: dIn, dSae: dSae, hookName: hookName, layer: layer, k: k,
            dtype: try config.optionalString("dtype") ?? "float32",
            appliesDecoderBiasToInput: try config.optionalBool("apply_b_dec_to_input") ?? true, usesEncoderBias: true,
            normalization: normalization, inputScalingFactor: scalingFactor,
            rescaledByDecoderNorm: false, foldedFeatureScalingFactor: false,
            modelName: try field({ try $0.optionalString("model_name") }),
            metadata: SAEMetadata(
                prependBOS: try field({ try $0.optionalBool("prepend_bos") }),
                contextSize: try field({ try $0.optionalInt("context_size") }),
                modelFromPretrainedKwargs: try field({ try $0.optionalObject("model_from_pretrained_kwargs")?.members }),
                datasetPath: try field({ try $0.optionalString("dataset_path") }),
                neuronpediaID: try field({ try $0.optionalString("neuronpedia_id") })))
        let options = SAELensOptions(
            inputScalingFactor: scalingFactor,
            rescaleByDecoderNorm: try config.optionalBool("rescale_acts_by_decoder_norm") ?? false,
            requiresFeatureScalingFactor: try config.optionalBool("finetuning_scaling_factor") ?? false)
        return (sae, options)
    }

    private static func saeLensArchitecture(_ config: JSONConfig, dSae: Int) throws -> (SAEArchitecture, Int?) {
        let name: String
        var k = try config.optionalInt("k")
        if let architecture = try config.optionalString("architecture") {
            name = architecture
        } else {
            // Legacy: the activation function decides (SAELens issue #553: TopK SAEs misread as ReLU otherwise).
            let function = try config.optionalString("activation_fn_str") ?? config.optionalString("activation_fn") ?? "relu"
            name = function == "topk" ? "topk" : function == "relu" ? "standard" : function
            if name == "topk", k == nil, let kwargs = try config.optionalObject("activation_fn_kwargs") {
                k = try kwargs.optionalInt("k")
            }
        }
        switch name {
        case "standard", "relu":
            return (.relu, nil)
        case "topk":
            guard let k else { throw InputError("architecture topk needs k (or activation_fn_kwargs.k)", url: config.url) }
            guard (1...dSae).contains(k) else { throw InputError("k \(k) is outside 1...d_sae (\(dSae))", url: config.url) }
            return (.topK, k)
        case "jumprelu", "batchtopk", "matryoshka_batchtopk":
            // SAELens saves (matryoshka) BatchTopK SAEs for inference as JumpReLU with a threshold tensor.
            return (.jumpReLU, nil)
        case "gated":
            return (.gated, nil)
        default:
            throw InputError("architecture \"\(name)\" is not supported (supported: standard, gated, topk, jumprelu)", url: config.url)
        }
    }

    private static func saeLensNormalization(_ config: JSONConfig) throws -> SAENormalization {
        let value: String
        switch config.members["normalize_activations"] {
        case nil, .null?: value = "none"
        case .bool(let on)?: value = on ? "expected_average_only_in" : "none"  // legacy boolean
        case .string(let name)?: value = name
        case let other?: throw config.error("normalize_activations", "should be a string, not \(other.summary)")
        }
        guard let normalization = SAENormalization(rawValue: value) else {
            let supported = SAENormalization.allCases.map(\.rawValue).joined(separator: ", ")
            throw InputError("normalize_activations \"\(value)\" is not supported (supported: \(supported))", url: config.url)
        }
        return normalization
    }

    /// The `expected_average_only_in` factor: `activation_scaler.json` next to `cfg.json`, else `norm_scaling_factor`.
    private static func saeLensScalingFactor(_ config: JSONConfig) throws -> Double {
        let scalerURL = config.url.deletingLastPathComponent().appendingPathComponent("activation_scaler.json")
        var factor: Double?
        if FileManager.default.fileExists(atPath: scalerURL.path) {
            factor = try JSONConfig(contentsOf: scalerURL).optionalDouble("scaling_factor")
        }
        if factor == nil { factor = try config.optionalDouble("norm_scaling_factor") }
        guard let factor else {
            throw InputError(
                "normalize_activations is expected_average_only_in but no scaling factor was found "
                    + "(activation_scaler.json {\"scaling_factor\": s} or norm_scaling_factor)", url: config.url)
        }
        guard factor.isFinite, factor > 0 else {
            throw InputError("the activation scaling factor \(factor) is not a positive number", url: config.url)
        }
        return factor
    }
}
