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
            for hook in ModelFixtures.allHooks(layers: model.config.layerCount) {
                let ours = try model.forward(batch, stopAt: hook).activations
                #expect(ours.rows == tokens.count && ours.width == model.config.hiddenSize)
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
        let qwen3 = try Qwen3Config(contentsOf: ModelFixtures.directory("tiny-qwen3").appendingPathComponent("config.json"))
        #expect(qwen3 == Qwen3Config(family: .qwen3, vocabSize: 512, hiddenSize: 64, intermediateSize: 176, layerCount: 4,
                                     headCount: 4, kvHeadCount: 2, headDim: 16, rmsNormEps: 1e-6, ropeTheta: 1_000_000,
                                     tieWordEmbeddings: true, attentionBias: false, qkNorm: true))
        let qwen2 = try Qwen3Config(contentsOf: ModelFixtures.directory("tiny-qwen2").appendingPathComponent("config.json"))
        #expect(qwen2.family == .qwen2 && qwen2.attentionBias && !qwen2.qkNorm && qwen2.headDim == 16 && qwen2.ropeTheta == 10_000)
        let untied = try Qwen3Config(contentsOf: ModelFixtures.directory("tiny-qwen3-untied").appendingPathComponent("config.json"))
        #expect(!untied.tieWordEmbeddings)
    }
}
