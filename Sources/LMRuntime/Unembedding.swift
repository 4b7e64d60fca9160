import Formats
import Foundation

/// A model's unembedding `W_U` `[vocab, d]` and its final norm's weight, loaded without any block: what the
/// logit effects of SAE features need when the activations come from elsewhere (`analyze --activations`).
public struct Unembedding: Sendable {
    public var spec: DecoderSpec
    /// `[vocab, d]` (the token embedding when the two are tied), as the model keeps it: bf16 stays bf16.
    public var matrix: WeightMatrix
    /// The final norm's weight `[d]` (Gemma's `1 + w` already added).
    public var finalNormWeight: [Float]

    public var vocabSize: Int { spec.vocabSize }
    public var width: Int { spec.hiddenSize }

    /// Reads `config.json` and, from the safetensors checkpoint, only the embedding, the final norm and the LM head,
    /// the matrix in `dtype` (a bf16 checkpoint's used where it is mapped).
    public init(modelDirectory: URL, dtype: WeightDType = .fp32) throws {
        let spec = try DecoderSpec(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        let tensors = TensorLoader(checkpoint: try SafetensorsCheckpoint(directory: modelDirectory), dtype: dtype)
        let layout = spec.family.layout
        let (norm, untiedHead) = try layout.final(tensors, spec)
        self.spec = spec
        matrix = try untiedHead ?? layout.embeddings(tensors, spec).0
        finalNormWeight = norm.weight
    }

    /// The unembedding of a loaded model (nil when its head is not loaded).
    public init?(weights: ModelWeights) {
        guard weights.isComplete, let finalNorm = weights.finalNormWeight else { return nil }
        spec = weights.spec
        matrix = weights.headMatrix
        finalNormWeight = finalNorm
    }
}
