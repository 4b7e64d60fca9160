/// Maps the Hugging Face module names that sparsify and Gemma Scope 2 use for hookpoints to TransformerLens hooks
/// (shared/reference/sae_releases.md §3.0): a decoder layer's output is `hook_resid_post`, the MLP's output
/// `hook_mlp_out`, the attention module's output `hook_attn_out`, the input of `o_proj` `attn.hook_z`.
enum HFHookNames {
    /// The TransformerLens hook for `name` (`layers.6`, `model.layers.6.mlp`, `model.layers.17.output`, ...), or nil.
    static func transformerLensHook(_ name: String) -> String? {
        var parts = name.split(separator: ".").map(String.init)
        // Drop a model prefix (`model.`, `gpt_neox.`, `transformer.`) and a trailing `.output` (Gemma Scope 2).
        while let first = parts.first, ["model", "gpt_neox", "transformer", "language_model"].contains(first) { parts.removeFirst() }
        if parts.last == "output" { parts.removeLast() }
        if parts == ["embed_tokens"] || parts == ["embed_in"] || parts == ["wte"] { return "hook_embed" }
        guard parts.count >= 2, ["layers", "h"].contains(parts[0]), let layer = Int(parts[1]), layer >= 0 else { return nil }
        let rest = parts.dropFirst(2).joined(separator: ".")
        let point: String?
        switch rest {
        case "": point = "hook_resid_post"
        case "mlp", "post_feedforward_layernorm": point = "hook_mlp_out"
        case "self_attn", "attention", "attn": point = "hook_attn_out"
        case "self_attn.o_proj.input", "attention.dense.input", "attn.c_proj.input": point = "attn.hook_z"
        case "pre_feedforward_layernorm": point = "ln2.hook_normalized"
        default: point = nil
        }
        return point.map { "blocks.\(layer).\($0)" }
    }
}
