import Formats
import Foundation

extension SparseAutoencoder {
    /// EleutherAI sparsify: `<hookpoint>/cfg.json` (`d_in`, `k`, `num_latents` or `expansion_factor`, `activation`,
    /// ...) + `<hookpoint>/sae.safetensors` (`encoder.weight [n, d]`, `encoder.bias`, `W_dec [n, d]`, `b_dec`), with an
    /// optional training `config.json` (`model`, `dataset`, `ctx_len`) in the parent folder. Encoding as sparsify's
    /// `SparseCoder.encode`: `x − b_dec` → `ReLU(x·encoder.weightᵀ + encoder.bias)` → top-k.
    static func loadSparsify(_ location: SAELocation) throws -> SparseAutoencoder {
        let configURL = location.directory.appendingPathComponent("cfg.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw InputError("missing cfg.json next to sae.safetensors", url: location.directory)
        }
        let config = try JSONConfig(contentsOf: configURL)
        let d = try config.int("d_in")
        // sparsify writes num_latents (0: d_in · expansion_factor); some sparsify-trained releases write SAELens's d_sae.
        let latents = try config.optionalInt("num_latents") ?? config.optionalInt("d_sae") ?? 0
        let m = latents > 0 ? latents : d * (try config.optionalInt("expansion_factor") ?? 32)
        let k = try config.int("k")
        guard d > 0, m > 0, (1...m).contains(k) else {
            throw InputError("d_in \(d), num_latents \(m) and k \(k) must be positive with k ≤ num_latents", url: configURL)
        }
        let activation = try config.optionalString("activation") ?? "topk"
        guard activation == "topk" else { throw InputError("activation \"\(activation)\" is not supported (supported: topk)", url: configURL) }
        for option in ["transcode", "skip_connection", "signed"] where try config.optionalBool(option) == true {
            throw InputError("\(option) sparse coders are not supported, only plain SAEs", url: configURL)
        }

        let hookpoint = location.directory.lastPathComponent
        let hook = try config.optionalString("hook_name") ?? HFHookNames.transformerLensHook(hookpoint)
        guard let hook else {
            throw InputError(
                "hookpoint \"\(hookpoint)\" has no TransformerLens equivalent (expected layers.N, layers.N.mlp, "
                    + "layers.N.self_attn, embed_tokens)", url: location.directory)
        }
        var metadata = SAEMetadata(sourceHookName: hookpoint)
        var model: String?
        let trainingURL = location.directory.deletingLastPathComponent().appendingPathComponent("config.json")
        if FileManager.default.fileExists(atPath: trainingURL.path) {
            let training = try JSONConfig(contentsOf: trainingURL)
            model = try training.optionalString("model")
            metadata.datasetPath = try training.optionalString("dataset")
            metadata.contextSize = try training.optionalInt("ctx_len")
        }

        let tensors = NamedTensors(safetensors: try SafetensorsFile(contentsOf: location.weights))
        // W_dec's rows are latents in sparsify; a file with the transpose is read by its shape (d_in ≠ num_latents).
        let decoderShape = try tensors.requiredShape("W_dec", rank: 2)
        let decoder =
            decoderShape == [d, m] && d != m
            ? try tensors.requiredTransposed("W_dec", rows: m, columns: d)
            : try tensors.required("W_dec", shape: [m, d]).values
        let sae = SAEConfig(
            format: .sparsify, architecture: .topK, dIn: d, dSae: m, hookName: hook, layer: SAEConfig.layer(inHookName: hook),
            k: k, dtype: "float32", appliesDecoderBiasToInput: true, usesEncoderBias: true, modelName: model, metadata: metadata)
        return try SparseAutoencoder(
            config: sae,
            encoderWeight: tensors.requiredTransposed("encoder.weight", rows: d, columns: m),
            encoderBias: tensors.required("encoder.bias", shape: [m]).values,
            decoderWeight: decoder,
            decoderBias: tensors.required("b_dec", shape: [d]).values,
            directory: location.directory, source: location.weights.path)
    }
}
