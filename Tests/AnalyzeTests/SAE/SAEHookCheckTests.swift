@testable import Formats
@testable import SAECore
import Testing

@Suite("Hook and width checks")
struct SAEHookCheckTests {
    let config = try! SAEFixtures.sae("saelens-scaled").config  // blocks.2.hook_resid_post, d_in 64

    @Test("defaults to the SAE's own hook; accepts matching requests")
    func defaults() throws {
        #expect(try SAEHookCheck.resolve(sae: config, modelWidth: 64) == "blocks.2.hook_resid_post")
        #expect(try SAEHookCheck.resolve(sae: config, requestedHook: "blocks.2.hook_resid_post", modelWidth: 64) == "blocks.2.hook_resid_post")
        #expect(try SAEHookCheck.resolve(sae: config, requestedHook: "hook_resid_post", requestedLayer: 2, modelWidth: 64) == "blocks.2.hook_resid_post")
        #expect(try SAEHookCheck.resolve(sae: config, requestedLayer: 2, modelWidth: 64) == "blocks.2.hook_resid_post")
    }

    @Test(
        "mismatches name both values",
        arguments: [
            (String?("blocks.3.hook_resid_post"), Int?.none, 64, ["blocks.3.hook_resid_post", "blocks.2.hook_resid_post"]),
            (String?.none, Int?(5), 64, ["blocks.5.hook_resid_post", "blocks.2.hook_resid_post"]),
            (String?("hook_mlp_out"), Int?.none, 64, ["blocks.2.hook_mlp_out", "blocks.2.hook_resid_post"]),
            (String?.none, Int?.none, 1024, ["64", "1024"]),
        ])
    func mismatches(hook: String?, layer: Int?, width: Int, names: [String]) throws {
        let error = try #require(throws: InputError.self) {
            try SAEHookCheck.resolve(sae: config, requestedHook: hook, requestedLayer: layer, modelWidth: width)
        }
        for name in names { #expect(error.message.contains(name), "\(error.message) should name \(name)") }
    }
}
