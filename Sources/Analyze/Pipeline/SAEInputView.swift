import Formats
import LMRuntime
import SAECore

/// The model's activations as the SAE saw them in training, where that differs from the model's own. (How texts
/// start, BOS or not, is `SpecialTokens`.)
struct SAEInputView: Equatable {
    /// Whether the SAE reads the residual-stream view of TransformerLens's `center_writing_weights`: each row minus
    /// its mean. Only the SAE's input changes; splicing centered values back leaves the logits as they are, since
    /// every reader of the stream in these (LayerNorm) models removes a per-token shift.
    var centered: Bool

    static let unchanged = SAEInputView(centered: false)

    init(metadata: SAEMetadata, spec: DecoderSpec, hook: Hook) {
        centered =
            spec.centersWritingWeights && Self.centeredPoints.contains(hook.point)
            && metadata.modelFromPretrainedKwargs?["center_writing_weights"] == .bool(true)
    }

    init(centered: Bool) {
        self.centered = centered
    }

    /// The hook points whose values TransformerLens's centered writing weights shift: the stream and what is
    /// written to it. `attn.hook_z` comes before the output projection and `ln2.hook_normalized` is centered anyway.
    static let centeredPoints: Set<Hook.Point> = [.embed, .residPre, .residMid, .residPost, .attnOut, .mlpOut]

    /// The hook's activations as the SAE reads them.
    func activations(_ activations: Activations) -> Activations { centered ? activations.centeredRows() : activations }
}
