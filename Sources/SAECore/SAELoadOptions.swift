/// Choices a folder cannot always answer by itself.
public struct SAELoadOptions: Sendable, Equatable {
    /// Which SAE of a folder that holds several: a sparsify hookpoint subfolder (`layers.6`, `layers.6.mlp`) or an
    /// OpenAI layer file (`6` or `6.pt`).
    public var hookpoint: String?
    /// Gemma Scope's site when the path does not name the repository (`gemma-scope-2b-pt-res/...`); default res.
    public var site: GemmaScopeSite?
    /// k for an OpenAI TopK state dict that does not record it (its file name is checked too: `..._k32...`).
    public var k: Int?

    public init(hookpoint: String? = nil, site: GemmaScopeSite? = nil, k: Int? = nil) {
        self.hookpoint = hookpoint
        self.site = site
        self.k = k
    }
}

/// Where in a block a Gemma Scope SAE reads: the suffix of its repository name.
public enum GemmaScopeSite: String, Sendable, CaseIterable {
    case res, mlp, att

    /// The TransformerLens hook at layer `layer` (SAELens `get_gemma_2_config_from_hf`).
    func hook(layer: Int) -> String {
        switch self {
        case .res: "blocks.\(layer).hook_resid_post"
        case .mlp: "blocks.\(layer).hook_mlp_out"
        case .att: "blocks.\(layer).attn.hook_z"
        }
    }
}
