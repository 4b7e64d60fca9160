import Formats
import LMRuntime
import SAECore

/// The model as the SAE saw it in training, where that differs from the model's own tokenizer and activations.
struct SAEInputView: Equatable {
    /// Token ids put before every text: SAELens's `prepend_bos` on a tokenizer that adds no BOS itself (GPT-2's).
    var prefix: [Int32]
    /// Whether the SAE reads the residual-stream view of TransformerLens's `center_writing_weights`: each row minus
    /// its mean. Only the SAE's input changes; splicing centered values back leaves the logits as they are, since
    /// every reader of the stream in these (LayerNorm) models removes a per-token shift.
    var centered: Bool

    static let unchanged = SAEInputView(prefix: [], centered: false)

    /// `bos`: the model's BOS id (config.json `bos_token_id`); `tokenizerAddsBOS`: whether the tokenizer's
    /// post-processor already starts every text with it (Gemma's TemplateProcessing).
    init(metadata: SAEMetadata, spec: DecoderSpec, hook: Hook, bos: Int32?, tokenizerAddsBOS: Bool) {
        prefix = metadata.prependBOS == true && !tokenizerAddsBOS ? bos.map { [$0] } ?? [] : []
        centered =
            spec.centersWritingWeights && Self.centeredPoints.contains(hook.point)
            && metadata.modelFromPretrainedKwargs?["center_writing_weights"] == .bool(true)
    }

    init(prefix: [Int32], centered: Bool) {
        self.prefix = prefix
        self.centered = centered
    }

    /// The hook points whose values TransformerLens's centered writing weights shift: the stream and what is
    /// written to it. `attn.hook_z` comes before the output projection and `ln2.hook_normalized` is centered anyway.
    static let centeredPoints: Set<Hook.Point> = [.embed, .residPre, .residMid, .residPost, .attnOut, .mlpOut]

    /// A text's ids as the SAE's training saw them.
    func tokens(_ ids: [Int32]) -> [Int32] { prefix.isEmpty || ids.isEmpty ? ids : prefix + ids }

    /// The hook's activations as the SAE reads them.
    func activations(_ activations: Activations) -> Activations { centered ? activations.centeredRows() : activations }

    /// `bos_token_id` of a model's config.json, when it names one.
    static func bosTokenID(config: JSONConfig) throws -> Int32? {
        guard config.has("bos_token_id") else { return nil }
        let value = try config.int("bos_token_id")
        guard let id = Int32(exactly: value), id >= 0 else { throw config.error("bos_token_id", "\(value) is not a token id") }
        return id
    }
}
