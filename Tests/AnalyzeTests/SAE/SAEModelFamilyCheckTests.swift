@testable import Formats
import Foundation
import LMRuntime
@testable import SAECore
import Testing

@Suite("Recorded model vs the model's family")
struct SAEModelFamilyCheckTests {
    /// The names the releases and TransformerLens record, and the `model_type` each implies.
    @Test(
        arguments: [
            ("gpt2", "gpt2"), ("gpt2-small", "gpt2"), ("GPT2-XL", "gpt2"), ("openai-community/gpt2-medium", "gpt2"),
            ("distilgpt2", "gpt2"), ("pythia-70m-deduped", "gpt_neox"), ("EleutherAI/pythia-160m", "gpt_neox"),
            ("gemma-2-2b", "gemma2"), ("google/gemma-2-9b-it", "gemma2"), ("gemma-3-1b-pt", "gemma3_text"),
            ("google/gemma-3-4b-pt", "gemma3_text"), ("meta-llama/Llama-3.1-8B", "llama"),
            ("meta-llama/Meta-Llama-3-8B-Instruct", "llama"), ("llama-3.2-1b", "llama"), ("Llama-2-7b-hf", "llama"),
            ("mistral-7b", "mistral"), ("mistralai/Mistral-7B-v0.1", "mistral"), ("Qwen/Qwen3-0.6B", "qwen3"),
            ("qwen3-8b", "qwen3"), ("Qwen/Qwen2.5-7B", "qwen2"), ("Qwen/Qwen2-1.5B", "qwen2"),
        ])
    func knownNames(name: String, modelType: String) {
        #expect(SAEModelFamilyCheck.family(ofRecordedModel: name)?.rawValue == modelType, "\(name)")
    }

    /// Names of no known family (the fixtures' own, Gemma 1, Mixtral, the seed's none) are not checked.
    @Test(arguments: ["tiny-gpt2", "tiny-qwen3", "synthetic-model", "gemma-2b", "google/gemma-7b", "mistralai/Mixtral-8x7B-v0.1", ""])
    func unknownNames(name: String) {
        #expect(SAEModelFamilyCheck.family(ofRecordedModel: name) == nil, "\(name)")
    }

    @Test func familiesThatShareARuntimeMatchOthersDoNot() {
        #expect(SAEModelFamilyCheck.matches(.llama, .mistral) && SAEModelFamilyCheck.matches(.mistral, .llama))
        #expect(!SAEModelFamilyCheck.matches(.gemma2, .gemma3) && !SAEModelFamilyCheck.matches(.gemma3, .gemma2))
        #expect(!SAEModelFamilyCheck.matches(.qwen2, .qwen3) && !SAEModelFamilyCheck.matches(.qwen3, .qwen2))
        #expect(!SAEModelFamilyCheck.matches(.gpt2, .gptNeoX))
        for family in DecoderSpec.Family.allCases { #expect(SAEModelFamilyCheck.matches(family, family)) }
    }

    /// On the fixture models: a mismatch is an error naming the SAE's file and the model's config.json, a warning
    /// when allowed; a match, an unknown name or none passes silently.
    @Test func checkAgainstAModel() throws {
        let models = AnalysisPipelineTests.fixtures.appendingPathComponent("model")
        let gpt2Config = models.appendingPathComponent("tiny-gpt2/config.json")
        let gpt2 = try DecoderSpec(contentsOf: gpt2Config)
        var config = try SAEFixtures.sae("saelens-scaled").config
        let saeFile = URL(fileURLWithPath: "/sae/cfg.json")
        func check(_ name: String?, allow: Bool = false) throws -> String? {
            config.modelName = name
            return try SAEModelFamilyCheck.check(sae: config, saeFile: saeFile, model: gpt2, modelConfig: gpt2Config, allowOtherModel: allow)
        }
        for name in ["gpt2-small", "tiny-qwen3", nil] as [String?] { #expect(try check(name) == nil) }
        let error = try #require(throws: InputError.self) { try check("gemma-2-2b") }
        #expect(error.path == "/sae/cfg.json")
        #expect(error.message.contains("gemma-2-2b (a gemma2 model)") && error.message.contains("model_type \"gpt2\""))
        #expect(error.message.contains(gpt2Config.path) && error.message.contains("--allow-other-model"))
        #expect(try check("gemma-2-2b", allow: true)?.contains("gemma-2-2b") == true)
        let mistral = try DecoderSpec(contentsOf: models.appendingPathComponent("tiny-mistral/config.json"))
        config.modelName = "meta-llama/Llama-3.1-8B"
        #expect(SAEModelFamilyCheck.mismatch(sae: config, model: mistral) == nil)
        let gemma3 = try DecoderSpec(contentsOf: models.appendingPathComponent("tiny-gemma3/config.json"))
        config.modelName = "gemma-2-2b"
        #expect(SAEModelFamilyCheck.mismatch(sae: config, model: gemma3) != nil)
    }
}
