@testable import Formats
import Foundation
import Testing

@Suite struct JSONConfigTests {
    let url = URL(fileURLWithPath: "/models/config.json")

    func config(_ text: String) throws -> JSONConfig { try JSONConfig(parsing: Data(text.utf8), url: url) }

    func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func readsTypedValues() throws {
        let config = try config(
            #"""
            {"hidden_size": 64, "rope_theta": 1000000.0, "eps": 1e-6, "name": "qwen3", "tie": true, "layer": "2",
             "heads": 4.0, "sizes": [1, 2, 3], "scales": [1, 2.5], "names": ["a"], "nothing": null,
             "trainer": {"lr": 0.001, "steps": 10, "inner": {"k": 8}}}
            """#)
        #expect(try config.int("hidden_size") == 64)
        #expect(try config.double("rope_theta") == 1_000_000)
        #expect(try config.double("hidden_size") == 64)
        #expect(try config.double("eps") == 1e-6)
        #expect(try config.string("name") == "qwen3")
        #expect(try config.bool("tie"))
        #expect(try config.stringOrInt("layer") == "2")
        #expect(try config.stringOrInt("hidden_size") == "64")
        #expect(try config.int("heads") == 4)
        #expect(try config.intArray("sizes") == [1, 2, 3])
        #expect(try config.doubleArray("scales") == [1, 2.5])
        #expect(try config.stringArray("names") == ["a"])
        #expect(try config.optionalInt("absent") == nil)
        #expect(try config.optionalInt("nothing") == nil)
        #expect(try config.object("trainer").double("lr") == 0.001)
        #expect(try config.object("trainer").object("inner").int("k") == 8)
        #expect(config.contains("nothing") && !config.contains("absent"))
    }

    @Test func errorsNameTheFileAndKey() throws {
        let config = try config(#"{"d_in": "abc", "top_k": 8.5, "trainer": {"lr": "fast"}, "flag": 1, "list": [1, "x"], "n": null}"#)
        #expect(message { try config.int("hidden_size") } == #"/models/config.json: key "hidden_size" is missing"#)
        #expect(message { try config.int("d_in") } == #"/models/config.json: key "d_in" must be an integer, found "abc""#)
        #expect(message { try config.int("top_k") } == #"/models/config.json: key "top_k" must be an integer, found 8.5"#)
        #expect(message { try config.object("trainer").double("lr") } == #"/models/config.json: key "trainer.lr" must be a number, found "fast""#)
        #expect(message { try config.bool("flag") } == #"/models/config.json: key "flag" must be true or false, found 1"#)
        #expect(message { try config.intArray("list") }.contains("must be a list of integers"))
        #expect(message { try config.int("n") } == #"/models/config.json: key "n" must not be null"#)
        #expect(message { try config.object("d_in") }.contains("must be an object"))
        #expect(message { try config.stringOrInt("trainer") }.contains("must be a string or an integer, found an object"))
    }

    @Test func rejectsBadFiles() {
        #expect(message { try config("{\"a\": ") }.hasPrefix("/models/config.json: malformed JSON"))
        #expect(message { try config("[1, 2]") } == "/models/config.json: expected a JSON object at the top level, found a list")
        #expect(
            message { try JSONConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/config.json")) }
                == "/nonexistent/config.json: file does not exist")
    }

    @Test func readsTheSeedSAEConfig() throws {
        let config = try JSONConfig(
            parsing: Data(
                #"""
                {"d_in": 64, "d_sae": 256, "l1_coefficient": 1, "dtype": "float32", "device": "cpu", "hook_layer": "2",
                 "hook_name": "hook_resid_post", "hook_spec": "blocks.2.hook_resid_post", "top_k": 8, "top_k_aux": 4,
                 "n_batches_to_dead": 200, "aux_penalty": 0.03125}
                """#.utf8), url: url)
        #expect(try config.int("d_sae") == 256)
        #expect(try config.stringOrInt("hook_layer") == "2")
        #expect(try config.optionalInt("top_k") == 8)
        #expect(try config.double("l1_coefficient") == 1)
    }
}
