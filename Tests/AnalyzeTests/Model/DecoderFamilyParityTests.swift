import Formats
import Foundation
@testable import LMRuntime
import Testing

/// Each family's tiny random checkpoint (scripts/fixtures/make_family_fixtures.py; the Qwen ones from
/// make_model_fixtures.py, with the same references) against transformers in fp32:
/// every hook with TransformerLens semantics, the final hidden states, the logits and the per-token loss.
@Suite struct DecoderFamilyParityTests {
    static let fixtures = [
        "tiny-qwen3", "tiny-qwen3-untied", "tiny-qwen2", "tiny-gpt2", "tiny-gemma2", "tiny-gemma3", "tiny-pythia",
        "tiny-llama3", "tiny-llama-bias", "tiny-mistral",
    ]

    @Test(arguments: fixtures)
    func everyHookLogitAndLossMatchesTransformers(fixture: String) throws {
        let reference = try ModelFixtures.Reference(fixture)
        let model = reference.model
        for (index, tokens) in reference.sequences.enumerated() {
            let batch = PackedBatch([tokens])
            for hook in ModelFixtures.allHooks(model) {
                let ours = try model.forward(batch, stopAt: hook).activations
                #expect(ours.rows == tokens.count && ours.width == model.width(of: hook))
                let error = ModelFixtures.relativeError(ours.values, try reference.tensor(index, hook.description))
                #expect(error <= 1e-4, "\(fixture) sequence \(index) \(hook): relative error \(error)")
            }
            let hidden = try model.forward(batch)
            let hiddenError = ModelFixtures.relativeError(hidden.values, try reference.tensor(index, "final_hidden"))
            #expect(hiddenError <= 1e-4, "\(fixture) sequence \(index) final hidden: relative error \(hiddenError)")
            let logitError = ModelFixtures.relativeError(model.logits(hidden), try reference.tensor(index, "logits"))
            #expect(logitError <= 1e-4, "\(fixture) sequence \(index) logits: relative error \(logitError)")
            let loss = try model.nextTokenStatistics(batch: batch, reference: hidden).loss[0].dropLast().map(Float.init)
            let lossError = ModelFixtures.relativeError(loss, try reference.tensor(index, "loss"))
            #expect(lossError <= 1e-4, "\(fixture) sequence \(index) loss: relative error \(lossError)")
        }
    }

    @Test(arguments: fixtures)
    func aPackedBatchEqualsOneByOneRuns(fixture: String) throws {
        let reference = try ModelFixtures.Reference(fixture)
        let model = reference.model, batch = PackedBatch(reference.sequences)
        for hook in ModelFixtures.allHooks(model) + [nil] {
            let packed = try hook.map { try model.forward(batch, stopAt: $0).activations } ?? model.forward(batch)
            var alone: [Float] = []
            for tokens in reference.sequences {
                alone +=
                    try hook.map { try model.forward(PackedBatch([tokens]), stopAt: $0).activations.values }
                    ?? model.forward(PackedBatch([tokens])).values
            }
            #expect(ModelFixtures.relativeError(packed.values, alone) <= 1e-5, "\(fixture) \(hook?.description ?? "final")")
        }
    }

    @Test(arguments: fixtures)
    func continuingFromAnyHookWithItsOwnActivationEqualsTheFullPass(fixture: String) throws {
        let reference = try ModelFixtures.Reference(fixture)
        let model = reference.model, batch = PackedBatch(reference.sequences)
        let full = try model.forward(batch)
        for hook in ModelFixtures.allHooks(model) {
            let capture = try model.forward(batch, stopAt: hook)
            let resumed = try model.continueForward(from: capture, batch: batch)
            #expect(ModelFixtures.relativeError(resumed.values, full.values) <= 1e-5, "\(fixture) resumed from \(hook)")
            let stacked = try model.continueForward(from: capture, replacements: [nil, nil], batch: batch)
            #expect(ModelFixtures.relativeError(stacked.values, full.values + full.values) <= 1e-5, "\(fixture) stacked from \(hook)")
        }
    }

    /// Running on from a capture to a later hook gives what the pass to that hook gives: the same operations on the same
    /// state, so exactly equal, except from `attn.hook_z` with a value bias (captured as z − b_V, restored as
    /// (z − b_V) + b_V: equal up to rounding). A hook that is not later is refused.
    @Test(arguments: fixtures)
    func continuingToALaterHookEqualsThePassToIt(fixture: String) throws {
        let reference = try ModelFixtures.Reference(fixture)
        let model = reference.model, batch = PackedBatch(reference.sequences)
        let hooks = ModelFixtures.allHooks(model)
        for (index, hook) in hooks.enumerated() {
            let capture = try model.forward(batch, stopAt: hook)
            for later in Set([hooks[min(index + 1, hooks.count - 1)], hooks[hooks.count - 1]]) where later != hook {
                let resumed = try model.continueForward(from: capture, batch: batch, stopAt: later)
                let direct = try model.forward(batch, stopAt: later)
                #expect(resumed.hook == later, "\(fixture) \(hook) -> \(later)")
                if hook.point == .attnZ {
                    #expect(ModelFixtures.relativeError(resumed.activations.values, direct.activations.values) <= 1e-6, "\(fixture) \(hook) -> \(later)")
                } else {
                    #expect(resumed.activations == direct.activations, "\(fixture) \(hook) -> \(later)")
                }
            }
            #expect(throws: InputError.self) { try model.continueForward(from: capture, batch: batch, stopAt: hook) }
        }
    }

    /// A sequence that continues the first rows of another (`PackedBatch.Sequence.prefix`) gets what those rows' whole
    /// sequence gets at its positions, at every hook and after the final norm, also from a later hook on with its own
    /// rows changed (the loss effects' use: the prefix's rows are not run again). Gemma 2's and 3's sliding windows are
    /// shorter than the sequences, so the window reaches back into the prefix.
    @Test(arguments: fixtures)
    func aSequenceContinuingAPrefixEqualsTheWholeSequence(fixture: String) throws {
        let reference = try ModelFixtures.Reference(fixture)
        let model = reference.model
        for tokens in reference.sequences where tokens.count >= 4 {
            for split in [1, tokens.count / 2, tokens.count - 1] {
                var batch = PackedBatch()
                batch.append(tokens[...], text: 0, start: 0)
                batch.append(tokens[split...], text: 1, start: 0, continuing: 0..<split)
                let own = tokens.count..<(2 * tokens.count - split)
                for hook in ModelFixtures.allHooks(model) + [nil] {
                    let result = try hook.map { try model.forward(batch, stopAt: $0).activations } ?? model.forward(batch)
                    let width = result.width
                    let whole = Array(result.values[(split * width)..<(tokens.count * width)])
                    let continued = Array(result.values[(own.lowerBound * width)..<(own.upperBound * width)])
                    #expect(
                        ModelFixtures.relativeError(continued, whole) <= 1e-5,
                        "\(fixture) split \(split) \(hook?.description ?? "final")")
                }
                // From a capture at the middle block's output, the continuing rows changed: the same as the whole
                // sequence with the same change at those rows.
                let hook = Hook(layer: model.layerCount / 2, point: .residPost)
                var capture = try model.forward(batch, stopAt: hook)
                let single = PackedBatch([tokens])
                var wholeCapture = try model.forward(single, stopAt: hook)
                let d = capture.activations.width
                for row in 0..<(tokens.count - split) {
                    for j in 0..<d {
                        let delta = Float(j % 7) * 0.25 - 0.75
                        capture.activations.values[(own.lowerBound + row) * d + j] += delta
                        wholeCapture.activations.values[(split + row) * d + j] += delta
                    }
                }
                let changed = try model.continueForward(from: capture, batch: batch)
                let expected = try model.continueForward(from: wholeCapture, batch: single)
                #expect(
                    ModelFixtures.relativeError(
                        Array(changed.values[(own.lowerBound * d)..<(own.upperBound * d)]),
                        Array(expected.values[(split * d)..<(tokens.count * d)])) <= 1e-5,
                    "\(fixture) split \(split): changed rows")
            }
        }
        if let window = model.spec.slidingWindows.compactMap({ $0 }).min() {
            #expect(reference.sequences.contains { $0.count > window + 2 }, "\(fixture): no sequence longer than the sliding windows")
        }
    }

    @Test func specsReadEachFamilysAxes() throws {
        func spec(_ name: String) throws -> DecoderSpec {
            try DecoderSpec(contentsOf: ModelFixtures.directory(name).appendingPathComponent("config.json"))
        }
        let qwen3 = try spec("tiny-qwen3")
        #expect(
            qwen3.family == .qwen3 && qwen3.vocabSize == 512 && qwen3.hiddenSize == 64 && qwen3.intermediateSize == 176
                && qwen3.layerCount == 4 && qwen3.headCount == 4 && qwen3.kvHeadCount == 2 && qwen3.headDim == 16
                && qwen3.normEps == 1e-6 && qwen3.positions == .rotary(dimensions: 16, theta: 1_000_000, scaling: nil)
                && qwen3.tieWordEmbeddings && !qwen3.attentionBias && qwen3.qkNorm && !qwen3.hasBiases
                && qwen3.normalization == .rms && qwen3.residual == .sequential && qwen3.gatedMLP && qwen3.activation == .silu)
        let qwen2 = try spec("tiny-qwen2")
        #expect(
            qwen2.family == .qwen2 && qwen2.attentionBias && !qwen2.qkNorm && qwen2.headDim == 16
                && qwen2.positions == .rotary(dimensions: 16, theta: 10_000, scaling: nil))
        #expect(try !spec("tiny-qwen3-untied").tieWordEmbeddings)
        let gpt2 = try spec("tiny-gpt2")
        #expect(
            gpt2.normalization == .layer && gpt2.positions == .learned(count: 64) && !gpt2.gatedMLP
                && gpt2.activation == .geluTanh && gpt2.tieWordEmbeddings && gpt2.hasBiases)
        let gemma = try spec("tiny-gemma2")
        #expect(
            gemma.residual == .sandwich && gemma.slidingWindows == [8, nil, 8] && gemma.attentionSoftCap == 5
                && gemma.finalSoftCap == 2 && gemma.embeddingScale == 8 && gemma.attentionScale == Float(1 / 24.0.squareRoot())
                && gemma.kvHeadCount == 2 && !gemma.hasBiases)
        let pythia = try spec("tiny-pythia")
        #expect(
            pythia.residual == .parallel && pythia.positions == .rotary(dimensions: 4, theta: 10_000, scaling: nil)
                && pythia.activation == .gelu && !pythia.tieWordEmbeddings)
        let llama = try spec("tiny-llama3")
        #expect(
            llama.positions
                == .rotary(
                    dimensions: 16, theta: 500_000,
                    scaling: .llama3(
                        factor: 8, lowFrequencyFactor: 1,
                        highFrequencyFactor: 4, originalContext: 64)))
        #expect(try spec("tiny-mistral").slidingWindows == [8, 8])
        let biased = try spec("tiny-llama-bias")
        #expect(biased.attentionBias && biased.outputBias && biased.mlpBias && biased.tieWordEmbeddings)
        let gemma3 = try spec("tiny-gemma3")
        #expect(
            gemma3.qkNorm && gemma3.slidingWindows == [8, nil, 8, nil] && gemma3.attentionSoftCap == nil
                && gemma3.positions == .rotary(dimensions: 16, theta: 1_000_000, scaling: .linear(factor: 8))
                && gemma3.slidingPositions == .rotary(dimensions: 16, theta: 10_000, scaling: nil))
    }

    @Test func parallelBlocksHaveNoResidMid() throws {
        let model = try DecoderModel(modelDirectory: ModelFixtures.directory("tiny-pythia"))
        #expect(!model.hookNames.contains("blocks.0.hook_resid_mid"))
        #expect {
            try model.forward(PackedBatch([[1, 2, 3]]), stopAt: Hook(parsing: "blocks.1.hook_resid_mid", layerCount: 3))
        } throws: { error in
            (error as? InputError)?.message.contains("parallel") == true
        }
    }

    @Test func theZeroAblationShortcutIsOffWithBiasesAndOnWithout() throws {
        let residual = Hook(layer: 1, point: .residPost)
        for (fixture, uniform) in [("tiny-gpt2", false), ("tiny-pythia", false), ("tiny-gemma2", true), ("tiny-mistral", true)] {
            let model = try DecoderModel(modelDirectory: ModelFixtures.directory(fixture))
            #expect(model.zeroAblationIsUniform(at: residual) == uniform, "\(fixture)")
            #expect(!model.zeroAblationIsUniform(at: Hook(layer: 1, point: .mlpOut)))
            let batch = PackedBatch([[1, 5, 9, 3]])
            var capture = try model.forward(batch, stopAt: residual)
            capture.activations = Activations(rows: 4, width: model.hiddenSize, values: [Float](repeating: 0, count: 4 * model.hiddenSize))
            let largest = model.logits(try model.continueForward(from: capture, batch: batch)).map(abs).max()!
            #expect((largest == 0) == uniform, "\(fixture): max |logit| \(largest)")
        }
    }
}

@Suite struct DecoderCenteredViewTests {
    /// TransformerLens's centered residual of a LayerNorm model is HF's minus its per-token mean, and resuming from
    /// it gives the same final hidden states (every LayerNorm removes the shift).
    @Test(arguments: ["tiny-gpt2", "tiny-pythia"])
    func theCenteredResidualLeavesThePassUnchanged(fixture: String) throws {
        let model = try DecoderModel(modelDirectory: ModelFixtures.directory(fixture))
        #expect(model.spec.centersWritingWeights)
        let batch = PackedBatch([[3, 1, 4, 1, 5, 9, 2, 6], [5, 3, 5]])
        var capture = try model.forward(batch, stopAt: Hook(layer: 1, point: .residPost))
        let centered = capture.activations.centeredRows()
        for row in 0..<centered.rows { #expect(abs(centered[row: row].reduce(0, +)) < 1e-4) }
        #expect(ModelFixtures.relativeError(centered.values, capture.activations.values) > 1e-3)
        let full = try model.forward(batch)
        capture.activations = centered
        #expect(ModelFixtures.relativeError(try model.continueForward(from: capture, batch: batch).values, full.values) <= 1e-5)
        #expect(try !DecoderModel(modelDirectory: ModelFixtures.directory("tiny-gemma2")).spec.centersWritingWeights)
    }
}

@Suite struct DecoderHookNameTests {
    @Test func theTransformerLensNamesParse() throws {
        #expect(try Hook(parsing: "hook_embed", layerCount: 4) == Hook(layer: 0, point: .embed))
        #expect(try Hook(parsing: "blocks.3.attn.hook_z", layerCount: 4) == Hook(layer: 3, point: .attnZ))
        #expect(try Hook(parsing: "blocks.0.ln2.hook_normalized", layerCount: 4) == Hook(layer: 0, point: .ln2Normalized))
        #expect(Hook(layer: 2, point: .attnZ).description == "blocks.2.attn.hook_z")
        for bad in ["blocks.1.attn.hook_q", "blocks.1.hook_embed", "blocks.4.attn.hook_z", "embed"] {
            #expect(throws: InputError.self, "\(bad)") { try Hook(parsing: bad, layerCount: 4) }
        }
    }

    @Test func hookEmbedNeedsNoBlock() throws {
        let model = try DecoderModel(modelDirectory: ModelFixtures.directory("tiny-gpt2"), blockCount: 0)
        let embed = try model.forward(PackedBatch([[1, 2, 3]]), stopAt: Hook(layer: 0, point: .embed)).activations
        #expect(embed.rows == 3 && embed.width == model.hiddenSize)
    }
}
