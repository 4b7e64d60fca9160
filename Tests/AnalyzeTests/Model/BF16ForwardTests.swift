@testable import Formats
import Foundation
@testable import LMRuntime
import Testing

/// The forward with bf16 weight matrices against the fp32 forward on the committed fixtures (bf16 checkpoints, so
/// both use the same weight values; they differ by the rounding of each matrix product's input rows to bf16, as
/// PyTorch's bf16 does). Documented tolerance (docs/bf16.md): final hidden states and logits within 3 % of their
/// scale (max |Δ| / max |fp32|); measured 0.2–1.2 % on these fixtures, with either kernel.
@Suite struct BF16ForwardTests {
    static let tolerance: Float = 0.03
    static let fixtures = ["tiny-qwen3", "tiny-qwen3-untied", "tiny-gpt2", "tiny-pythia", "tiny-gemma2", "tiny-llama-bias"]

    @Test(arguments: fixtures)
    func bf16ForwardMatchesFP32WithinTheDocumentedTolerance(fixture: String) throws {
        let directory = ModelFixtures.directory(fixture)
        let fp32 = try DecoderModel(modelDirectory: directory)
        let bf16 = try DecoderModel(modelDirectory: directory, dtype: .bf16)
        #expect(bf16.weights.dtype == .bf16 && fp32.weights.dtype == .fp32)
        let reference = try ModelFixtures.Reference(fixture)
        let batch = PackedBatch(reference.sequences)
        let hiddenFP32 = try fp32.forward(batch), hiddenBF16 = try bf16.forward(batch)
        let hiddenError = ModelFixtures.relativeError(hiddenBF16.values, hiddenFP32.values)
        let logitsError = ModelFixtures.relativeError(bf16.logits(hiddenBF16), fp32.logits(hiddenFP32))
        #expect(hiddenError <= Self.tolerance && logitsError <= Self.tolerance, "\(fixture)")
        // Not identical: the bf16 path really ran (its input rounding changes the last bits).
        #expect(hiddenError > 0)
        // A hook's activations too, and the fused LM head's statistics (its bf16 tiles are row ranges of the head).
        let hook = Hook(layer: 1, point: .residPost)
        #expect(
            ModelFixtures.relativeError(try bf16.forward(batch, stopAt: hook).activations.values, try fp32.forward(batch, stopAt: hook).activations.values)
                <= Self.tolerance)
        let statsFP32 = try fp32.nextTokenStatistics(batch: batch, reference: hiddenFP32, tileWidth: 100)
        let statsBF16 = try bf16.nextTokenStatistics(batch: batch, reference: hiddenBF16, tileWidth: 100)
        for (a, b) in zip(statsBF16.loss[0], statsFP32.loss[0]) where !b.isNaN {
            #expect(abs(a - b) <= 0.05 * max(1, abs(b)), "\(fixture) loss")
        }
    }

    @Test func bf16WeightsOfABF16CheckpointAreUsedInPlaceAndOthersAreRounded() throws {
        let directory = ModelFixtures.directory("tiny-qwen3")
        let weights = try ModelWeights(modelDirectory: directory, dtype: .bf16)
        // Llama layout: q, k, v and gate, up stay separate mapped tensors (no stacked copy).
        guard case .bf16(let qkv) = weights.blocks[0].qkv.storage, case .bf16(let embedding) = weights.embedding.storage else {
            Issue.record("bf16 weights are not stored as bf16")
            return
        }
        #expect(qkv.count == 3 && qkv.allSatisfy { $0.owner is SafetensorsFile })
        #expect(embedding.count == 1 && embedding[0].owner is SafetensorsFile)
        // GPT-2's Conv1D weights are transposed, so they are a bf16 copy of their own.
        let gpt2 = try ModelWeights(modelDirectory: ModelFixtures.directory("tiny-gpt2"), dtype: .bf16)
        guard case .bf16(let conv) = gpt2.blocks[0].qkv.storage else {
            Issue.record("GPT-2's bf16 weights are not stored as bf16")
            return
        }
        #expect(conv.count == 1 && conv[0].owner is OwnedBF16)
        // Either way the values are the checkpoint's.
        let fp32 = try ModelWeights(modelDirectory: directory)
        #expect(weights.blocks[0].qkv.floatValues == fp32.blocks[0].qkv.floatValues)
        #expect(weights.headMatrix.floatValues == fp32.headMatrix.floatValues)
    }
}
