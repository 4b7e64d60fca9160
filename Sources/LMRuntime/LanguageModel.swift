/// What the analysis pipeline needs of a language model: activations at a hook, the rest of the pass from
/// replaced activations, and next-token statistics of the results.
public protocol LanguageModel: AnyObject {
    var layerCount: Int { get }
    var hiddenSize: Int { get }
    var vocabSize: Int { get }
    /// The width of the activations at `hook`.
    func width(of hook: Hook) -> Int
    /// Whether zeroing the activations at `hook` gives uniform predictions (so a zero ablation needs no pass).
    func zeroAblationIsUniform(at hook: Hook) -> Bool
    func forward(_ batch: PackedBatch, stopAt hook: Hook) throws -> HookCapture
    /// `forward(batch, stopAt: hook)` from a capture of the same batch at an earlier hook.
    func continueForward(from capture: HookCapture, batch: PackedBatch, stopAt hook: Hook) throws -> HookCapture
    func continueForward(from capture: HookCapture, replacements: [Activations?], batch: PackedBatch) throws -> Activations
    func nextTokenStatistics(batch: PackedBatch, stackedHidden: Activations, runs: Int, tileWidth: Int?) throws -> NextTokenStatistics
}
