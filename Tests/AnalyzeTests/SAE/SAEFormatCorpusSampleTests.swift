@testable import Analyze
@testable import Formats
import Foundation
import SAECore
import Testing

/// Each release format's SAE (Tests/Fixtures/sae/formats) analyzed on real activations: `analyze` on the tiny GPT-2
/// fixture over a few short texts of the shared corpus (corpus-sample/<case>.json), against the codes that
/// `scripts/fixtures/make_sae_format_fixtures.py` computed with the format's reference (SAELens's and sparsify's own
/// code where they import, else the published formulas) on transformers' activations, windowed and with BOS as the
/// analysis runs them (references/corpus-<case>.npz). The texts keep every selection boundary away from float32's
/// reach, so the active features, and so L0, are equal, and every code within 1e-5 of the reference.
@Suite struct SAEFormatCorpusSampleTests {
    static let model = AnalysisPipelineTests.fixtures.appendingPathComponent("model/tiny-gpt2")

    /// The SAEs whose hook the 3-block GPT-2 has (Gemma Scope's corpus-sample L0: `FamilyEndToEndTests`).
    static let cases = [
        "saelens-gated-v6", "saelens-standard-cnr-legacy", "saelens-topk-layernorm-v6", "saelens-jumprelu-hookz-v6",
        "sparsify-layers.1", "openai-resid-post-mlp-2", "llama-scope-l2r",
    ]

    @Test(arguments: cases)
    func analysisOfACorpusSampleEqualsTheReference(reference: String) throws {
        let (_, path, hookpoint) = try #require(SAEFormatTests.encodedCases.first { $0.0 == reference })
        let expected = try NPZ.read(SAEFormatTests.formats.appendingPathComponent("references/corpus-\(reference).npz"))
        let (output, cleanup) = AnalysisPipelineTests.outputDirectory("corpus-sample-\(reference)")
        defer { cleanup() }
        var options = AnalysisOptions(
            modelDirectory: Self.model, saeDirectory: SAEFormatTests.formats.appendingPathComponent(path),
            corpusFile: SAEFormatTests.formats.appendingPathComponent("corpus-sample/\(reference).json"), output: output)
        options.pass.context = Int(try expected["ctx"]!.int64Values()[0])
        options.pass.sae.hookpoint = hookpoint
        options.pass.topKMode = .token  // what the top-k SAEs do to each token (SAELens, sparsify, OpenAI)
        options.pass.ablation = .none
        // Only the database and the statistics are compared: the costlier feature stages are left out.
        options.features.featureMap = false
        options.features.lossEffectExamples = 0
        options.features.browseTexts = 0
        options.features.logitEffects = 0
        options.features.denseMatrices = .never
        options.features.clusterFeatures = 0
        options.control.threads = 2
        // Llama Scope's SAE records meta-llama/Llama-3.1-8B; the reference ran it on this GPT-2 fixture on purpose.
        options.control.allowOtherModel = reference == "llama-scope-l2r"
        let results = try AnalysisPipeline(options: options).run().results

        // The kept rows (BOS positions left out), with positions counting on across windows.
        let database = output.appendingPathComponent("activation_database")
        let tokens = try NPZ.read(try SpecialTokenTests().file("tokens_", in: database))
        for name in ["token_id", "text_idx", "position"] {
            #expect(try tokens[name]!.int32Values() == expected[name]!.int32Values(), "\(reference): tokens.\(name)")
        }

        // Active features per row, so L0 and the per-feature counts, equal; codes within 1e-5.
        let csr = try NPZ.read(try SpecialTokenTests().file("activation_db_", in: database))
        let indptr = try csr["indptr"]!.int64Values(), indices = try csr["indices"]!.int32Values(), values = try csr["data"]!.floatValues()
        let wantedIndptr = try expected["indptr"]!.int64Values(), wantedIndices = try expected["indices"]!.int32Values()
        let wantedValues = try expected["data"]!.floatValues()
        let rows = wantedIndptr.count - 1
        #expect(indptr == wantedIndptr, "\(reference): per-row L0")
        #expect(indices == wantedIndices, "\(reference): active features")
        var worst = 0.0
        if indices == wantedIndices {
            for row in 0..<rows {
                let range = Int(wantedIndptr[row])..<Int(wantedIndptr[row + 1])
                let scale = range.map { abs(Double(wantedValues[$0])) }.max() ?? 0
                for j in range {
                    worst = max(worst, abs(Double(values[j]) - Double(wantedValues[j])) / max(abs(Double(wantedValues[j])), scale, 1e-30))
                }
            }
        }
        print("\(reference): \(rows) rows, L0 \(Double(wantedIndices.count) / Double(rows)), codes max relative error \(worst)")
        #expect(worst <= 1e-5, "\(reference): codes")

        let sparsity = results.sparsity.metrics.allTokens
        #expect(sparsity.nTokens == rows)
        #expect(sparsity.l0Mean == Double(wantedIndices.count) / Double(rows), "\(reference): L0")
        var counts = [Int](repeating: 0, count: sparsity.activationCounts.count)
        for feature in wantedIndices { counts[Int(feature)] += 1 }
        #expect(sparsity.activationCounts == counts, "\(reference): activation counts")
    }
}
