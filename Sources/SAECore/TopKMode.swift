/// How a top-k SAE (BatchTopK or TopK) chooses the features of a token at analysis time.
public enum TopKMode: String, CaseIterable, Codable, Sendable {
    /// One global threshold θ calibrated on the corpus so that the mean L0 is k: θ = the (N·k)-th largest dense
    /// activation over a sample of N tokens; then `f = a · 1[a ≥ θ]`. A token's code depends on that token only
    /// (the BatchTopK paper's inference rule, and what SAELens saves BatchTopK SAEs as).
    case threshold
    /// The k largest activations of each token (per-token TopK).
    case token
    /// The seed's rule: the top N·k activations over the pool of all tokens passed in one call (one batch of
    /// texts), so a token's code depends on the other tokens of its batch.
    case batch

    /// The default: `threshold` for BatchTopK SAEs (trained with pooled top-k, so a fixed threshold is their
    /// batch-independent inference rule); `token` for TopK SAEs (trained per token, where a threshold would change
    /// their codes).
    public static func `default`(for architecture: SAEArchitecture) -> TopKMode {
        architecture == .topK ? .token : .threshold
    }
}
