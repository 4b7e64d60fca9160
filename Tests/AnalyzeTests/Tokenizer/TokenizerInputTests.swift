@testable import Formats
import Foundation
import Testing
@testable import Tokenizers

/// Missing, malformed and unsupported tokenizer files are InputErrors that name the file and the problem.
@Suite struct TokenizerInputTests {
    private func writeTemporary(_ text: String, _ name: String = "tokenizer.json") throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tok-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The tiny GPT-2 tokenizer.json with one part replaced.
    private func gpt2(_ edit: (inout [String: Any]) -> Void) throws -> URL {
        let data = try Data(contentsOf: TokenizerFixtures.root.appendingPathComponent("tiny-gpt2.json"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        edit(&json)
        return try writeTemporary(String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
    }

    private func expectInputError(_ url: URL, mentioning phrase: String) {
        do {
            _ = try Tokenizer(contentsOf: url)
            Issue.record("loaded \(url.path) without error; expected \(phrase)")
        } catch let error as InputError {
            #expect(error.path == url.path)
            #expect(error.description.contains(phrase), "\(error.description)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/tokenizer.json")
        expectInputError(url, mentioning: "cannot read")
        #expect(throws: InputError.self) { try Tokenizer(modelDirectory: URL(fileURLWithPath: "/nonexistent/dir")) }
    }

    @Test func malformedAndTruncatedJSON() throws {
        expectInputError(try writeTemporary("{\"model\": "), mentioning: "malformed JSON")
        expectInputError(try writeTemporary("[1, 2]"), mentioning: "not a JSON object")
        let full = try String(contentsOf: TokenizerFixtures.root.appendingPathComponent("tiny-gpt2.json"), encoding: .utf8)
        expectInputError(try writeTemporary(String(full.prefix(full.count / 2))), mentioning: "malformed JSON")
    }

    @Test func unsupportedModelTypes() throws {
        for type in ["WordPiece", "Unigram", "WordLevel"] {
            expectInputError(try gpt2 { $0["model"] = ["type": type, "vocab": ["a": 0]] }, mentioning: "unsupported tokenizer model type \"\(type)\"")
        }
        expectInputError(try gpt2 { $0["model"] = nil }, mentioning: "no \"model\"")
    }

    @Test func unsupportedPipelineParts() throws {
        expectInputError(
            try gpt2 { $0["pre_tokenizer"] = ["type": "BertPreTokenizer"] },
            mentioning: "unsupported pre_tokenizer type \"BertPreTokenizer\"")
        expectInputError(
            try gpt2 { $0["pre_tokenizer"] = ["type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"] },
            mentioning: "unsupported Metaspace prepend_scheme \"sometimes\"")
        expectInputError(
            try gpt2 { $0["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AAAA"] },
            mentioning: "unsupported normalizer type \"Precompiled\"")
        expectInputError(
            try gpt2 { $0["normalizer"] = ["type": "Replace", "pattern": ["Regex": " {2,}"], "content": " "] },
            mentioning: "unsupported normalizer Replace with a regex pattern")
        expectInputError(try gpt2 { $0["decoder"] = ["type": "WordPiece", "prefix": "##"] }, mentioning: "unsupported decoder type \"WordPiece\"")
        expectInputError(
            try gpt2 { $0["decoder"] = ["type": "Sequence", "decoders": [["type": "Fuse"], ["type": "CTC"]]] },
            mentioning: "unsupported decoder type \"CTC\"")
        expectInputError(
            try gpt2 { $0["decoder"] = ["type": "Strip", "content": "ab", "start": 1, "stop": 0] },
            mentioning: "decoder Strip content is not a single character")
        expectInputError(try gpt2 { $0["post_processor"] = ["type": "Mystery"] }, mentioning: "unsupported post_processor type")
        expectInputError(
            try gpt2 { $0["truncation"] = ["max_length": 8, "strategy": "LongestFirst", "stride": 0] },
            mentioning: "unsupported truncation")
        expectInputError(
            try gpt2 { $0["padding"] = ["strategy": ["Fixed": 16], "pad_id": 0, "pad_token": "a"] },
            mentioning: "unsupported fixed-length padding")
        let template: [String: Any] = [
            "type": "TemplateProcessing",
            "single": [
                ["Sequence": ["id": "A", "type_id": 0]],
                ["SpecialToken": ["id": "x", "type_id": 0]],
            ],
            "special_tokens": ["x": ["id": "x", "ids": [1], "tokens": ["x"]]],
        ]
        expectInputError(
            try gpt2 { $0["post_processor"] = ["type": "Sequence", "processors": [template, template]] },
            mentioning: "more than one processor that adds tokens")
        expectInputError(
            try gpt2 { json in
                var model = json["model"] as! [String: Any]
                model["continuing_subword_prefix"] = "##"
                json["model"] = model
            }, mentioning: "continuing_subword_prefix")
    }

    @Test func inconsistentVocabulary() throws {
        expectInputError(
            try gpt2 { json in
                var model = json["model"] as! [String: Any]
                model["merges"] = [["Ġ", "no-such-token"]]
                json["model"] = model
            }, mentioning: "merges[0]")
        expectInputError(
            try gpt2 { json in
                var model = json["model"] as! [String: Any]
                model["merges"] = ["a b c"]
                json["model"] = model
            }, mentioning: "not a pair")
        expectInputError(
            try gpt2 { json in
                var model = json["model"] as! [String: Any]
                model["vocab"] = ["a": -4]
                json["model"] = model
            }, mentioning: "not a valid token id")
        expectInputError(try gpt2 { $0["added_tokens"] = [["content": "x"]] }, mentioning: "added_tokens[0]")
    }

    /// An id near Int32.max made the id → bytes table ask for tens of gigabytes; such ids are now refused.
    @Test func hugeTokenIDs() throws {
        expectInputError(
            try gpt2 { json in
                var model = json["model"] as! [String: Any]
                var vocab = model["vocab"] as! [String: Any]
                vocab["Ġhuge"] = 2_000_000_000
                model["vocab"] = vocab
                json["model"] = model
            }, mentioning: "not a valid token id")
        expectInputError(
            try gpt2 { $0["added_tokens"] = [["content": "<big>", "id": 1 << 24]] },
            mentioning: "added_tokens[0]")
    }

    /// Two added tokens with the same content: the vocabulary keeps the last id, and the first one's larger id
    /// indexed past the id → bytes table (a trap). Both ids now decode to the content.
    @Test func addedTokensSharingContent() throws {
        let url = try gpt2 { json in
            json["added_tokens"] = [["content": "<a>", "id": 999, "special": true], ["content": "<a>", "id": 3, "special": true]]
        }
        let tokenizer = try Tokenizer(contentsOf: url)
        #expect(tokenizer.decode([999]) == "<a>")
        #expect(tokenizer.decode([3]) == "<a>")
    }
}
