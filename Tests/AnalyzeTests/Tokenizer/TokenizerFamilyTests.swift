import Foundation
import Testing
@testable import Tokenizers

/// The tokenizer families beyond Qwen, against HF `tokenizers` (scripts/fixtures/make_tokenizer_families.py): the
/// real GPT-2 vocabulary wired as GPT-2, Pythia-like and Llama-3-like, and trained SentencePiece-style vocabularies
/// wired as Gemma, Llama 2, Mistral and Metaspace's other schemes. `TokenizerTests` runs its encode, decode and
/// vocabulary checks on these too.
@Suite struct TokenizerFamilyTests {
    static let names = [
        "gpt2", "gpt2-prefix-nfc", "gpt2-llama3", "sp-gemma", "sp-gemma-unk", "sp-llama2", "sp-mistral",
        "sp-metaspace-always", "sp-metaspace-never",
    ]

    static let corpusURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SAE_SHARED"] ?? "/work/shared")
        .appendingPathComponent("corpora/physics_paragraphs.json")

    @Test(arguments: names)
    func specialTokensAndPairsAsHuggingFace(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        #expect(!cases.plainEncodings.isEmpty && !cases.pairEncodings.isEmpty)
        for (text, ids) in cases.plainEncodings {
            #expect(tokenizer.encode(text, addSpecialTokens: false) == ids, "\(text.prefix(40).debugDescription)")
        }
        for (first, second, ids) in cases.pairEncodings {
            #expect(tokenizer.encode(first, pair: second) == ids, "\(first.prefix(30).debugDescription) + \(second.prefix(30).debugDescription)")
        }
    }

    /// Context-window strings join to the decoded text, for every case and random id runs.
    @Test(arguments: names)
    func displayPiecesJoinToDecode(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        for expected in cases.encodings {
            let pieces = tokenizer.displayPieces(expected.ids)
            #expect(pieces.count == expected.ids.count)
            #expect(pieces.joined() == expected.decoded, "\(expected.text.prefix(40).debugDescription)")
        }
        for (ids, text) in cases.decodings {
            #expect(tokenizer.displayPieces(ids).joined() == text, "ids \(ids)")
        }
    }

    @Test func gemmaAddsBOSAndFallsBackToBytes() throws {
        let gemma = try TokenizerFixtures.tokenizer("sp-gemma")
        #expect(gemma.id(of: "<bos>") == 2)
        #expect(gemma.encode("a").first == 2)
        #expect(gemma.encode("a", addSpecialTokens: false).first != 2)
        // A character outside the trained alphabet is spelled by its UTF-8 bytes.
        let fox = "\u{1F98A}"
        #expect(gemma.id(of: fox) == nil)
        let bytes = fox.utf8.map { gemma.id(of: String(format: "<0x%02X>", $0))! }
        #expect(gemma.encode(fox, addSpecialTokens: false) == bytes)
        #expect(gemma.decode(bytes) == fox)
        #expect(gemma.displayPieces(bytes) == ["", "", "", fox])
        // Without byte fallback a run of such characters is one unknown token.
        let unknown = try TokenizerFixtures.tokenizer("sp-gemma-unk")
        #expect(unknown.encode(fox + fox, addSpecialTokens: false) == [unknown.id(of: "<unk>")!])
    }

    /// The shared corpus (when present): ids, decode and display pieces checked against the per-text hash of HF's
    /// ids and decode committed in `<name>_corpus.bin`; every 16th text, or all of them (a few minutes in a debug
    /// build) with SAE_TOKENIZER_CORPUS=full.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: corpusURL.path)), arguments: names)
    func wholeCorpusAsHuggingFace(_ name: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(name)
        let cases = try TokenizerFixtures.Cases(name)
        let texts = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.corpusURL)) as! [String]
        let expected = try Data(contentsOf: TokenizerFixtures.root.appendingPathComponent("\(name)_corpus.bin"))
        try #require(texts.count == cases.corpusTexts && expected.count == 8 * texts.count, "not the corpus of the fixture")
        let full = ProcessInfo.processInfo.environment["SAE_TOKENIZER_CORPUS"] == "full"
        var mismatches: [Int] = []
        var total = 0
        for (index, text) in texts.enumerated() where full || index % 16 == 0 {
            let ids = tokenizer.encode(text)
            total += ids.count
            let decoded = tokenizer.decode(ids)
            let want = expected[(8 * index)..<(8 * index + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
            if Self.corpusHash(ids, decoded) != want || tokenizer.displayPieces(ids).joined() != decoded {
                mismatches.append(index)
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(texts.count) texts differ, first \(mismatches.prefix(10))")
        if full { #expect(total == cases.corpusTotalIDs) }
    }

    /// scripts/fixtures/tokenizer_common.py `corpus_hash`: FNV-1a 64 of the id count and ids (int32 little-endian), then
    /// of the decoded UTF-8.
    static func corpusHash(_ ids: [Int32], _ decoded: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        func add32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { add(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
        add32(UInt32(ids.count))
        for id in ids { add32(UInt32(bitPattern: id)) }
        for byte in decoded.utf8 { add(byte) }
        return hash
    }
}
