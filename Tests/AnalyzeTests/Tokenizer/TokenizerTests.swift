@testable import Analyze
import Foundation
import Testing
@testable import Tokenizers

/// Our tokenizer against HF `tokenizers` on the committed cases: the real Qwen and GPT-2 vocabularies, three tiny
/// trained vocabularies wired as GPT-2, Llama-3 and a generic-regex tokenizer, and the family variants
/// (`TokenizerFamilyTests.names`: Pythia-, Llama-3-, Gemma-, Llama-2- and Mistral-style pipelines).
@Suite struct TokenizerTests {
    static let names = ["qwen", "tiny-gpt2", "tiny-llama3", "tiny-generic"] + TokenizerFamilyTests.names

    @Test(arguments: names)
    func encodesExactlyAsHuggingFace(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        #expect(cases.encodings.count > 100)
        var mismatches: [String] = []
        for (index, expected) in cases.encodings.enumerated() {
            let ids = tokenizer.encode(expected.text)
            if ids != expected.ids {
                mismatches.append("#\(index) \(expected.text.prefix(60).debugDescription): got \(ids.prefix(20)), want \(expected.ids.prefix(20))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) texts differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test(arguments: names)
    func decodesExactlyAsHuggingFace(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        for expected in cases.encodings {
            #expect(tokenizer.decode(expected.ids) == expected.decoded, "\(expected.text.prefix(40).debugDescription)")
        }
        for (ids, text) in cases.decodings {
            #expect(tokenizer.decode(ids) == text, "ids \(ids)")
        }
        for (id, text) in cases.pieces {
            #expect(tokenizer.decode([id]) == text, "id \(id)")
        }
    }

    @Test(arguments: names)
    func vocabularyMatchesHuggingFace(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        #expect(tokenizer.vocabularySize == cases.vocabularySize)
        #expect(!cases.tokenIDs.isEmpty)
        for (token, id) in cases.tokenIDs {
            #expect(tokenizer.id(of: token) == id, "\(token)")
        }
        #expect(tokenizer.id(of: "no such token \u{1F600}") == nil)
    }

    @Test func qwenSpecialTokensAndPartialCharacters() throws {
        let tokenizer = TokenizerFixtures.qwen
        #expect(tokenizer.id(of: "<|endoftext|>") == 151643)
        #expect(tokenizer.encode("<think>") == [tokenizer.id(of: "<think>")!])
        #expect(tokenizer.decode([151643]) == "<|endoftext|>")
        // "中" is three UTF-8 bytes; its first byte alone is not a character.
        let firstByte = tokenizer.id(of: String(ByteLevelAlphabet.characters[0xE4]))!
        #expect(tokenizer.decode([firstByte]) == "\u{FFFD}")
        #expect(tokenizer.decode([-1]) == "")
        #expect(tokenizer.decode([Int32.max]) == "")
        #expect(tokenizer.decode(tokenizer.encode("中文 text")) == "中文 text")
    }

    /// A context window's per-token strings: split characters whole at the token that completes them, and
    /// always joining to `decode` (the window's text, U+FFFD where bytes complete no character).
    @Test func displayPiecesKeepSplitCharactersWhole() throws {
        let tokenizer = TokenizerFixtures.qwen
        func byte(_ value: UInt8) -> Int32 { tokenizer.id(of: String(ByteLevelAlphabet.characters[Int(value)]))! }
        let space = tokenizer.encode(" a")[0]
        // "中" = E4 B8 AD, one byte token each.
        #expect(tokenizer.displayPieces([space, byte(0xE4), byte(0xB8), byte(0xAD), space]) == [" a", "", "", "中", " a"])
        // Cut by the window: a leading continuation byte, a trailing incomplete character.
        #expect(tokenizer.displayPieces([byte(0xB8), space, byte(0xE4), byte(0xB8)]) == ["\u{FFFD}", " a", "", "\u{FFFD}"])
        #expect(tokenizer.displayPieces([]) == [])
        let text = "中文 text, naïve 😀 ド"
        #expect(tokenizer.displayPieces(tokenizer.encode(text)).joined() == text)

        var generator = SplitMix64(seed: 7)
        let bytes: [UInt8] = [0x41, 0x80, 0xBF, 0xC3, 0xA9, 0xE0, 0xA0, 0xE4, 0xB8, 0xAD, 0xED, 0x9F, 0xF0, 0x9F, 0x98, 0x80, 0xF4, 0xFF]
        for _ in 0..<500 {
            let ids = (0..<Int.random(in: 1...8, using: &generator)).map { _ in byte(bytes.randomElement(using: &generator)!) }
            #expect(tokenizer.displayPieces(ids).joined() == tokenizer.decode(ids), "\(ids)")
        }
    }

    /// Windows of whole-character tokens take the per-id fast path; mixed with byte tokens they must show exactly
    /// what decoding the whole window shows, on the real Qwen vocabulary and on every byte-level fixture.
    @Test(arguments: ["qwen", "tiny-gpt2", "tiny-llama3"])
    func displayPiecesFastPathMatchesDecoding(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        var generator = SplitMix64(seed: 11)
        let vocabulary = Int32(tokenizer.vocabularySize)
        // Tokens of one byte ≥ 0x80: lead and continuation bytes, never whole characters alone.
        let byteTokens = (0x80...0xFF).compactMap { tokenizer.id(of: String(ByteLevelAlphabet.characters[$0])) }
        #expect(byteTokens.count == 128)
        for expected in cases.encodings {
            #expect(tokenizer.displayPieces(expected.ids) == tokenizer.decodedPieces(expected.ids), "\(expected.ids)")
            // The same window with random ids, byte tokens and unknown ids put in.
            var ids = expected.ids
            for _ in 0..<min(3, ids.count) {
                ids[Int.random(in: 0..<ids.count, using: &generator)] =
                    Bool.random(using: &generator)
                    ? byteTokens.randomElement(using: &generator)! : Int32.random(in: -1...vocabulary, using: &generator)
            }
            #expect(tokenizer.displayPieces(ids) == tokenizer.decodedPieces(ids), "\(ids)")
        }
    }

    @Test func encodesFromManyThreadsAtOnce() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("tiny-gpt2")
        let cases = try TokenizerFixtures.Cases("tiny-gpt2")
        let expected = cases.encodings.map(\.ids)
        let results = Results(count: expected.count * 4)
        DispatchQueue.concurrentPerform(iterations: results.count) { index in
            results.set(index, tokenizer.encode(cases.encodings[index % expected.count].text))
        }
        for index in 0..<results.count {
            #expect(results.get(index) == expected[index % expected.count])
        }
    }

    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [[Int32]]
        let count: Int
        init(count: Int) { self.count = count; values = Array(repeating: [], count: count) }
        func set(_ index: Int, _ value: [Int32]) { lock.withLock { values[index] = value } }
        func get(_ index: Int) -> [Int32] { lock.withLock { values[index] } }
    }
}
