@testable import Analyze
import Formats
import Foundation
import LMRuntime
import SAECore
import Testing

/// When the SAE's view of the model differs from the model's own: the centered residual only on LayerNorm models,
/// residual-writing hooks, and an explicit `center_writing_weights: true`. (BOS: SpecialTokensTests.)
@Suite struct SAEInputViewTests {
    static func spec(_ name: String) throws -> DecoderSpec {
        try DecoderSpec(contentsOf: ModelFixtures.directory(name).appendingPathComponent("config.json"))
    }

    static func metadata(bos: Bool?, center: Bool?) -> SAEMetadata {
        SAEMetadata(prependBOS: bos, modelFromPretrainedKwargs: center.map { ["center_writing_weights": .bool($0)] })
    }

    @Test func centersOnlyLayerNormResidualHooksThatAskForIt() throws {
        let gpt2 = try Self.spec("tiny-gpt2"), gemma = try Self.spec("tiny-gemma2")
        func centered(_ spec: DecoderSpec, _ point: Hook.Point, _ center: Bool?) -> Bool {
            SAEInputView(metadata: Self.metadata(bos: nil, center: center), spec: spec, hook: Hook(layer: 1, point: point)).centered
        }
        for point in [Hook.Point.embed, .residPre, .residMid, .residPost, .attnOut, .mlpOut] {
            #expect(centered(gpt2, point, true), "\(point)")
            #expect(!centered(gpt2, point, false) && !centered(gpt2, point, nil), "\(point)")
            #expect(!centered(gemma, point, true), "\(point)")
        }
        #expect(!centered(gpt2, .attnZ, true) && !centered(gpt2, .ln2Normalized, true))
    }

    @Test func theCenteredViewIsTransformerLensResidualMinusItsMean() {
        let x = Activations(rows: 2, width: 3, values: [1, 2, 6, -3, 0, 3])
        let view = SAEInputView(centered: true)
        #expect(view.activations(x).values == [-2, -1, 3, -3, 0, 3])
        #expect(SAEInputView.unchanged.activations(x) == x)
    }
}
