@testable import Formats
import Foundation
@testable import LMRuntime
import Testing

@Suite struct Qwen3InputErrorTests {
    @Test func hookNamesAreParsedAndValidated() throws {
        #expect(try Hook(parsing: "blocks.9.hook_resid_post", layerCount: 28) == Hook(layer: 9, point: .residPost))
        #expect(try Hook(parsing: "blocks.0.hook_attn_out", layerCount: 1).description == "blocks.0.hook_attn_out")
        for bad in [
            "blocks.28.hook_resid_post", "blocks.-1.hook_resid_pre", "blocks.01.hook_mlp_out", "block.3.hook_resid_pre",
            "blocks.3.hook_resid", "blocks.3", "", "blocks.3.hook_resid_post.x",
        ] {
            #expect(throws: InputError.self, "\(bad)") { try Hook(parsing: bad, layerCount: 28) }
        }
        do {
            _ = try Hook(parsing: "blocks.30.hook_resid_post", layerCount: 28)
        } catch let error as InputError {
            #expect(error.message.contains("0...27") && error.message.contains("hook_mlp_out"))
        }
    }

    @Test func badConfigsNameTheFileAndTheProblem() throws {
        func parse(_ text: String) throws -> DecoderSpec { try DecoderSpec(json: Data(text.utf8), path: "/models/cfg.json") }
        let base = #""vocab_size": 10, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2"#
        #expect(try parse("{\"model_type\": \"llama\", \(base)}").headDim == 4)
        let cases: [(String, String)] = [
            ("[1, 2]", "expected a JSON object at the top level"),
            ("{\"model_type\": \"bloom\", \(base)}", "unsupported model_type \"bloom\"; supported: gpt2, gpt_neox, gemma2, gemma3_text, llama"),
            ("{\"model_type\": \"qwen3\"}", "is missing"),
            ("{\"model_type\": \"qwen3\", \(base), \"num_key_value_heads\": 3}", "not a multiple"),
            ("{\"model_type\": \"qwen3\", \(base), \"hidden_act\": \"gelu\"}", "hidden_act"),
            ("{\"model_type\": \"qwen3\", \(base), \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", "rope_type"),
            ("{\"model_type\": \"qwen3\", \(base), \"head_dim\": 3}", "must be even"),
            ("{\"model_type\": \"qwen3\", \(base), \"rms_norm_eps\": \"small\"}", "key \"rms_norm_eps\" must be a number, found \"small\""),
        ]
        for (text, problem) in cases {
            #expect {
                try parse(text)
            } throws: { error in
                let message = (error as? InputError)?.description ?? ""
                return message.hasPrefix("/models/cfg.json: ") && message.contains(problem)
            }
        }
    }

    /// The bf16 checkpoint's NaN is found when its values are converted (fp32) and where they are used mapped (bf16).
    @Test(arguments: WeightDType.allCases) func nonFiniteWeightsAreRejected(dtype: WeightDType) throws {
        #expect {
            try ModelWeights(modelDirectory: ModelFixtures.directory("nan-weights"), dtype: dtype)
        } throws: { error in
            (error as? InputError)?.description.contains("model.layers.0.mlp.up_proj.weight\" contains NaN") == true
        }
    }

    @Test func checkpointsThatDisagreeWithTheConfigAreRejected() throws {
        for (key, value, problem) in [
            ("hidden_size", "32", "has shape [512, 64], but config.json implies [512, 32]"),
            ("num_hidden_layers", "5", "no tensor \"model.layers.4."),
            ("tie_word_embeddings", "false", "no tensor \"lm_head.weight\""),
        ] {
            let copy = try ModelFixtures.temporaryCopy(of: ModelFixtures.directory("tiny-qwen3"))
            defer { try? FileManager.default.removeItem(at: copy) }
            let configURL = copy.appendingPathComponent("config.json")
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as! [String: Any]
            config[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
            try JSONSerialization.data(withJSONObject: config).write(to: configURL)
            #expect {
                try ModelWeights(modelDirectory: copy)
            } throws: { error in
                let message = (error as? InputError)?.description ?? ""
                return message.contains(copy.lastPathComponent) && message.contains(problem)
            }
        }
    }

    @Test func tokensOutsideTheVocabularyAndMismatchedActivationsAreRejected() throws {
        let model = try DecoderModel(modelDirectory: ModelFixtures.directory("tiny-qwen3"))
        #expect(throws: InputError.self) { try model.forward(PackedBatch([[1, 2, 512]])) }
        #expect(throws: InputError.self) { try model.forward(PackedBatch([[-1]]), stopAt: Hook(layer: 0, point: .residPre)) }
        #expect(throws: InputError.self) { try model.forward(PackedBatch([[1]]), stopAt: Hook(layer: 4, point: .residPre)) }
        let capture = try model.forward(PackedBatch([[1, 2, 3]]), stopAt: Hook(layer: 1, point: .mlpOut))
        #expect(throws: InputError.self) { try model.continueForward(from: capture, batch: PackedBatch([[1, 2]])) }
    }
}
