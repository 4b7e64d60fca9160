import Foundation
@testable import SAECore
import Testing

@Suite("inspect-sae summary")
struct SAEInspectionTests {
    @Test("the seed BatchTopK fixture")
    func seed() throws {
        let inspection = SAEInspection(try SAEFixtures.sae("seed-sae-btopk8-l2"))
        #expect(inspection.fractionEverFired == 0)
        #expect(inspection.historyEpochs == 50)
        #expect(abs(inspection.decoderNorms.mean - 1) < 1e-4 && inspection.decoderNorms.std < 1e-4)
        let loss = try #require(inspection.curves.first { $0.name == "loss" })
        #expect(loss.first == 1.1 && loss.epochs == 50)
        let text = inspection.text
        #expect(text.contains("architecture:   batchtopk  k = 8"))
        #expect(text.contains("d_in × d_sae:   64 × 256"))
        #expect(text.contains("hook:           blocks.2.hook_resid_post  (layer 2)"))
        #expect(text.contains("history:        50 epochs"))
        #expect(text.contains("ever fired:     0% of features"))
        // b_dec norm against the value torch reports for this fixture.
        #expect(abs(inspection.decoderBiasNorm - 0.4069) < 1e-3)
        let json = try JSONEncoder().encode(inspection)
        #expect(String(decoding: json, as: UTF8.self).contains("\"b_dec_norm\""))
    }

    @Test("a SAELens SAE without history")
    func saeLens() throws {
        let text = SAEInspection(try SAEFixtures.sae("saelens-jumprelu-f16")).text
        #expect(text.contains("architecture:   jumprelu"))
        #expect(text.contains("x (b_dec not subtracted)"))
        #expect(text.contains("threshold:"))
        #expect(text.contains("history:        none"))
        #expect(text.contains("ever fired:     not recorded"))
    }
}
