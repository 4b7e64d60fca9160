import Foundation
@testable import LMRuntime
import Testing

/// The forward pass against transformers (fp32) on the committed tiny checkpoints: every hook of every block,
/// the final hidden states and the logits, for each reference sequence run on its own.
@Suite struct Qwen3ParityTests {
    @Test(arguments: ["tiny-qwen3", "tiny-qwen3-untied", "tiny-qwen2"])
    func everyHookMatchesTransformers(fixture: String) throws {
        let reference = try ModelFixtures.Reference(fixture)
        let model = reference.model
        for (index, tokens) in reference.sequences.enumerated() {
            let batch = PackedBatch([tokens])
            for hook in ModelFixtures.residualStreamHooks(layers: model.spec.layerCount) {
                let ours = try model.forward(batch, stopAt: hook).activations
                #expect(ours.rows == tokens.count && ours.width == model.spec.hiddenSize)
                let error = ModelFixtures.relativeError(ours.values, try reference.tensor(index, hook.description))
                #expect(error <= 1e-4, "\(fixture) sequence \(index) \(hook): relative error \(error)")
            }
            let hidden = try model.forward(batch)
            let hiddenError = ModelFixtures.relativeError(hidden.values, try reference.tensor(index, "final_hidden"))
            #expect(hiddenError <= 1e-4, "\(fixture) sequence \(index) final hidden: relative error \(hiddenError)")
            let logitError = ModelFixtures.relativeError(model.logits(hidden), try reference.tensor(index, "logits"))
            #expect(logitError <= 1e-3, "\(fixture) sequence \(index) logits: relative error \(logitError)")
        }
    }

    @Test func configsAreReadAsTheirFamilies() throws {
        let qwen3 = try DecoderSpec(contentsOf: ModelFixtures.directory("tiny-qwen3").appendingPathComponent("config.json"))
        #expect(
            qwen3.family == .qwen3 && qwen3.vocabSize == 512 && qwen3.hiddenSize == 64 && qwen3.intermediateSize == 176
                && qwen3.layerCount == 4 && qwen3.headCount == 4 && qwen3.kvHeadCount == 2 && qwen3.headDim == 16
                && qwen3.normEps == 1e-6 && qwen3.positions == .rotary(dimensions: 16, theta: 1_000_000, scaling: nil)
                && qwen3.tieWordEmbeddings && !qwen3.attentionBias && qwen3.qkNorm && !qwen3.hasBiases
                && qwen3.normalization == .rms && qwen3.residual == .sequential && qwen3.gatedMLP && qwen3.activation == .silu)
        let qwen2 = try DecoderSpec(contentsOf: ModelFixtures.directory("tiny-qwen2").appendingPathComponent("config.json"))
        #expect(
            qwen2.family == .qwen2 && qwen2.attentionBias && !qwen2.qkNorm && qwen2.headDim == 16
                && qwen2.positions == .rotary(dimensions: 16, theta: 10_000, scaling: nil))
        let untied = try DecoderSpec(contentsOf: ModelFixtures.directory("tiny-qwen3-untied").appendingPathComponent("config.json"))
        #expect(!untied.tieWordEmbeddings)
    }
}
