import Formats
import Foundation

extension SparseAutoencoder {
    /// OpenAI's GPT-2 SAEs (openai/sparse_autoencoder `Autoencoder.state_dict()`): `pre_bias [d]`,
    /// `encoder.weight [n, d]`, `latent_bias [n]`, `decoder.weight [d, n]`, and the non-tensor `activation`
    /// ("TopK" or "ReLU") and `activation_state_dict.k`. TopK SAEs layer-norm their input (`normalize = activation ==
    /// "TopK"`): `(x − μ)/(σ + 1e-5)` with the unbiased σ, undone on the output. The hook comes from the path
    /// (`resid_post_mlp_v5_32k/autoencoders/6.pt`), k from the state dict, else `k`, else the file name (`k32`).
    static func loadOpenAI(_ location: SAELocation, k requestedK: Int?) throws -> SparseAutoencoder {
        let state = try TorchStateDict(contentsOf: location.weights)
        let tensors = NamedTensors(stateDict: state)
        let shape = try tensors.requiredShape("encoder.weight", rank: 2)
        let m = shape[0], d = shape[1]
        let file = location.weights.path

        let activation: String
        switch state.values["activation"] {
        case .string(let name)?: activation = name
        case nil: activation = requestedK == nil ? "ReLU" : "TopK"
        case let other?: throw InputError("\"activation\" is \(other.summary), expected a name", path: file)
        }
        var k: Int?
        switch activation {
        case "TopK":
            var stored: Int?
            if case .int(let value)? = state.values["activation_state_dict.k"] { stored = value }
            if let stored, let requestedK, stored != requestedK {
                throw InputError("the state dict says k = \(stored) but k = \(requestedK) was requested", path: file)
            }
            k = stored ?? requestedK ?? kInFileName(location.weights.lastPathComponent)
            guard let k, (1...m).contains(k) else {
                throw InputError("a TopK SAE needs k in 1...\(m): none in activation_state_dict, the options or the file name", path: file)
            }
            if case .string(let post)? = state.values["activation_state_dict.postact_fn"], post != "ReLU" {
                throw InputError("TopK postact_fn \"\(post)\" is not supported (supported: ReLU)", path: file)
            }
        case "ReLU":
            k = nil
        default:
            throw InputError("activation \"\(activation)\" is not supported (supported: TopK, ReLU)", path: file)
        }

        let (hook, sourceName) = try openAIHook(location.weights)
        let config = SAEConfig(
            format: .openAI, architecture: k == nil ? .relu : .topK, dIn: d, dSae: m, hookName: hook,
            layer: SAEConfig.layer(inHookName: hook), k: k, dtype: "float32", appliesDecoderBiasToInput: true,
            usesEncoderBias: true, normalization: k == nil ? .none : .layerNorm, modelName: "gpt2",
            // Their README loads GPT-2 with center_writing_weights=False.
            metadata: SAEMetadata(modelFromPretrainedKwargs: ["center_writing_weights": .bool(false)], sourceHookName: sourceName))
        return try SparseAutoencoder(
            config: config,
            encoderWeight: tensors.requiredTransposed("encoder.weight", rows: d, columns: m),
            encoderBias: tensors.required("latent_bias", shape: [m]).values,
            decoderWeight: tensors.requiredTransposed("decoder.weight", rows: m, columns: d),
            decoderBias: tensors.required("pre_bias", shape: [d]).values,
            directory: location.directory, source: file)
    }

    /// The TransformerLens hook of `…/<location>_v5_32k/autoencoders/<layer>.pt` (their README's mapping), and the location.
    private static func openAIHook(_ url: URL) throws -> (String, String) {
        let points = [
            ("resid_delta_attn", "hook_attn_out"), ("resid_post_attn", "hook_resid_mid"),
            ("resid_delta_mlp", "hook_mlp_out"), ("resid_post_mlp", "hook_resid_post"), ("mlp_post_act", "mlp.hook_post"),
        ]
        let stem = url.deletingPathExtension().lastPathComponent
        guard let layer = Int(stem) ?? integer(in: stem, after: "layer_") ?? integer(in: stem, after: "layer") else {
            throw InputError("cannot tell the layer from the file name (expected <layer>.pt)", url: url)
        }
        let path = url.deletingLastPathComponent().standardizedFileURL.path
        guard let (location, point) = points.first(where: { path.contains($0.0) }) else {
            throw InputError(
                "cannot tell the hook from the path: expected a folder named after the location ("
                    + points.map(\.0).joined(separator: ", ") + "), e.g. resid_post_mlp_v5_32k/autoencoders/\(layer).pt", url: url)
        }
        return ("blocks.\(layer).\(point)", location)
    }

    /// `32` in `…k32…` or `…_k_32…`, or nil.
    private static func kInFileName(_ name: String) -> Int? {
        guard let range = name.range(of: #"k_?(\d+)"#, options: .regularExpression) else { return nil }
        return Int(name[range].drop { !$0.isNumber })
    }
}
