import Formats
import Foundation

extension SAEConfig {
    /// Parses the seed's `config.json` (`d_in, d_sae, dtype, hook_layer, hook_name, hook_spec, top_k, ...`).
    ///
    /// Tolerant of what real seed configs contain: `hook_layer` as a string (`"9"`) or an integer, unknown keys
    /// (`use_error_term`, `l1_coefficient`, ...), and missing `top_k*` keys (a plain ReLU SAE). `hook_spec`, when
    /// present, must agree with `hook_layer` and `hook_name`.
    static func seed(contentsOf url: URL) throws -> SAEConfig {
        let config = try JSONConfig(contentsOf: url)
        let dIn = try config.int("d_in")
        let dSae = try config.int("d_sae")
        guard dIn > 0, dSae > 0 else {
            throw InputError("d_in (\(dIn)) and d_sae (\(dSae)) must be positive", url: url)
        }

        let spec = try config.optionalString("hook_spec")
        let layer = try config.optionalInt("hook_layer")
        let name = try config.optionalString("hook_name")
        let hookName: String
        if let layer, let name {
            hookName = name.hasPrefix("blocks.") ? name : "blocks.\(layer).\(name)"
            if let spec, spec != hookName {
                throw InputError("hook_spec \"\(spec)\" disagrees with hook_layer \(layer) and hook_name \"\(name)\" (\(hookName))", url: url)
            }
        } else if let spec {
            hookName = spec
        } else if let name, name.hasPrefix("blocks.") {
            hookName = name
        } else {
            throw InputError("no hook: needs hook_layer and hook_name, or hook_spec", url: url)
        }

        let k = try config.optionalInt("top_k")
        if let k, !(1...dSae).contains(k) {
            throw InputError("top_k \(k) is outside 1...d_sae (\(dSae))", url: url)
        }
        return SAEConfig(
            format: .seed, architecture: k == nil ? .relu : .batchTopK, dIn: dIn, dSae: dSae, hookName: hookName,
            layer: layer ?? Self.layer(inHookName: hookName), k: k, dtype: try config.optionalString("dtype") ?? "float32",
            appliesDecoderBiasToInput: true, usesEncoderBias: k == nil, normalization: .none, inputScalingFactor: nil,
            rescaledByDecoderNorm: false, foldedFeatureScalingFactor: false, modelName: nil)
    }
}
