import Formats
import Foundation

extension SparseAutoencoder {
    /// Gemma Scope (Gemma 2): `…/gemma-scope-2b-pt-res/layer_L/width_W/average_l0_N/params.npz` with `W_enc [d, d_sae]`,
    /// `W_dec`, `b_enc`, `b_dec`, `threshold`; JumpReLU on `x·W_enc + b_enc` (b_dec is not subtracted). The layer
    /// comes from the path; the site from the repository name in the path, else `site`, else res.
    static func loadGemmaScope(_ location: SAELocation, site: GemmaScopeSite?) throws -> SparseAutoencoder {
        let components = location.directory.standardizedFileURL.pathComponents
        guard let layer = components.lazy.compactMap({ integer(in: $0, after: "layer_") }).last else {
            throw InputError("cannot tell the layer from the path: expected …/layer_L/width_W/average_l0_N/params.npz", url: location.weights)
        }
        let repository = components.last { $0.hasPrefix("gemma-scope-") }
        if let repository, repository.contains("transcoder") {
            throw InputError("Gemma Scope transcoders (\(repository)) are not supported, only SAEs", url: location.weights)
        }
        let pathSite = repository.flatMap { name in GemmaScopeSite.allCases.first { name.hasSuffix("-\($0.rawValue)") } }
        if let pathSite, let site, pathSite != site {
            throw InputError("the path says site \(pathSite.rawValue) (\(repository!)) but \(site.rawValue) was requested", url: location.weights)
        }
        let hook = (pathSite ?? site ?? .res).hook(layer: layer)
        let tensors = try NamedTensors(npz: location.weights, aliases: ["w_enc": "W_enc", "w_dec": "W_dec"])
        // `gemma-scope-2b-pt-res` → `google/gemma-2-2b`; `-it-` releases belong to the instruction-tuned model.
        let model = repository.map { name -> String in
            let parts = name.dropFirst("gemma-scope-".count).split(separator: "-")
            guard parts.count >= 2 else { return "google/gemma-2" }
            return "google/gemma-2-\(parts[0])" + (parts[1] == "it" ? "-it" : "")
        }
        let metadata = SAEMetadata(prependBOS: true, contextSize: 1024, datasetPath: "monology/pile-uncopyrighted")
        return try jumpReLUWithoutInputBias(
            tensors, format: .gemmaScope, hook: hook, model: model, metadata: metadata,
            location: location)
    }

    /// Gemma Scope 2 (Gemma 3): `params.safetensors` (`w_enc`, `w_dec`, `b_enc`, `b_dec`, `threshold`) + `config.json`
    /// (`model_name`, `architecture: jump_relu`, `hf_hook_point_in`, `type`); without config.json the hook comes from
    /// the folder names (`resid_post`, `mlp_out`, `attn_out`, `layer_L`), as SAELens does.
    static func loadGemmaScope2(_ location: SAELocation) throws -> SparseAutoencoder {
        let configURL = location.directory.appendingPathComponent("config.json")
        var model: String?
        var sourceHook: String?
        if FileManager.default.fileExists(atPath: configURL.path) {
            let config = try JSONConfig(contentsOf: configURL)
            let architecture = try config.optionalString("architecture") ?? "jump_relu"
            guard architecture == "jump_relu" else {
                throw InputError("architecture \"\(architecture)\" is not supported (Gemma Scope 2 SAEs are jump_relu)", url: configURL)
            }
            let type = try config.optionalString("type") ?? "sae"
            guard type == "sae" else { throw InputError("type \"\(type)\" is not supported, only sae", url: configURL) }
            sourceHook = try config.optionalString("hf_hook_point_in")
            model = try config.optionalString("model_name").map { name in
                // SAELens's normalisation of the names these configs use.
                (name.hasPrefix("google/") ? name : "google/" + name).replacingOccurrences(of: "-v3", with: "-3")
            }
        }
        let path = location.directory.standardizedFileURL.path
        let hook: String
        if let sourceHook {
            guard let mapped = HFHookNames.transformerLensHook(sourceHook) else {
                throw InputError("hf_hook_point_in \"\(sourceHook)\" has no TransformerLens equivalent here", url: configURL)
            }
            hook = mapped
        } else {
            let layer = location.directory.standardizedFileURL.pathComponents.lazy.compactMap { integer(in: $0, after: "layer_") }.last
            let points = [("resid_post", "hook_resid_post"), ("mlp_out", "hook_mlp_out"), ("attn_out", "attn.hook_z")]
            guard let layer, let point = points.first(where: { path.contains($0.0) })?.1 else {
                throw InputError("no config.json, and the path names no layer_L and resid_post/mlp_out/attn_out", url: location.directory)
            }
            hook = "blocks.\(layer).\(point)"
        }
        let tensors = NamedTensors(safetensors: try SafetensorsFile(contentsOf: location.weights), aliases: ["w_enc": "W_enc", "w_dec": "W_dec"])
        let metadata = SAEMetadata(prependBOS: true, contextSize: 1024, sourceHookName: sourceHook)
        return try jumpReLUWithoutInputBias(
            tensors, format: .gemmaScope2, hook: hook, model: model, metadata: metadata,
            location: location)
    }

    /// The Gemma Scope encoding: `relu(pre)·1[pre > θ]` with `pre = x·W_enc + b_enc`, no input normalisation.
    private static func jumpReLUWithoutInputBias(
        _ tensors: NamedTensors, format: SAEFormat, hook: String, model: String?,
        metadata: SAEMetadata, location: SAELocation
    ) throws -> SparseAutoencoder {
        let shape = try tensors.requiredShape("W_enc", rank: 2)
        let d = shape[0], m = shape[1]
        let config = SAEConfig(
            format: format, architecture: .jumpReLU, dIn: d, dSae: m, hookName: hook, layer: SAEConfig.layer(inHookName: hook),
            k: nil, dtype: "float32", appliesDecoderBiasToInput: false, usesEncoderBias: true, modelName: model, metadata: metadata)
        return try SparseAutoencoder(
            config: config,
            encoderWeight: tensors.required("W_enc", shape: [d, m]).values,
            encoderBias: tensors.required("b_enc", shape: [m]).values,
            decoderWeight: tensors.required("W_dec", shape: [m, d]).values,
            decoderBias: tensors.required("b_dec", shape: [d]).values,
            threshold: tensors.required("threshold", shape: [m]).values,
            directory: location.directory, source: location.weights.path)
    }

    /// The integer right after `prefix` in a path component (`layer_12` → 12), or nil.
    static func integer(in component: String, after prefix: String) -> Int? {
        guard component.hasPrefix(prefix) else { return nil }
        return Int(component.dropFirst(prefix.count).prefix { $0.isNumber })
    }
}
