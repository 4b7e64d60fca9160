@testable import Analyze
import Foundation
@testable import LMRuntime
import Testing

/// The pipeline skips the zero-ablation suffix on bias-free models because its logits are exactly zero; check
/// that claim against a real forward on the tiny fixtures.
@Suite struct ZeroAblationShortcutTests {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/model")

    func zeroAblatedLogits(_ name: String, hook: String) throws -> (shortcut: Bool, maxAbs: Float) {
        let model = try DecoderModel(modelDirectory: fixtures.appendingPathComponent(name))
        let batch = PackedBatch([[1, 5, 9, 200, 3], [7, 7, 42]])
        let parsed = try Hook(parsing: hook, layerCount: model.spec.layerCount)
        var capture = try model.forward(batch, stopAt: parsed)
        capture.activations = Activations(
            rows: batch.tokenCount, width: model.spec.hiddenSize,
            values: [Float](repeating: 0, count: batch.tokenCount * model.spec.hiddenSize))
        let logits = model.logits(try model.continueForward(from: capture, batch: batch))
        return (model.zeroAblationIsUniform(at: parsed), logits.map(abs).max()!)
    }

    @Test func biasFreeResidualHooksGiveZeroLogits() throws {
        for hook in ["blocks.0.hook_resid_pre", "blocks.1.hook_resid_mid", "blocks.2.hook_resid_post"] {
            let result = try zeroAblatedLogits("tiny-qwen3", hook: hook)
            #expect(result.shortcut)
            #expect(result.maxAbs == 0, "\(hook)")
        }
    }

    @Test func biasedModelsAndProjectionHooksAreComputed() throws {
        let biased = try zeroAblatedLogits("tiny-qwen2", hook: "blocks.0.hook_resid_post")
        #expect(!biased.shortcut)
        #expect(biased.maxAbs > 0)
        #expect(!(try zeroAblatedLogits("tiny-qwen3", hook: "blocks.1.hook_mlp_out").shortcut))
    }
}
