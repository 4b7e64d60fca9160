import Formats
import Foundation

/// The parts of a tokenizer.json that encoding and decoding use, read and checked. Every problem is an InputError
/// naming the file and the offending field.
struct TokenizerFile {
    var normalizers: [Normalizer] = []
    var preTokenizer = PreTokenizer(steps: [])
    var model: BytePairModel
    var addedTokens: [AddedToken] = []
    var postProcessor = PostProcessor()
    var decoder = Decoder(steps: nil)
    /// Model vocabulary and added tokens: token UTF-8 → id.
    var vocabulary: [[UInt8]: Int32]

    private let url: URL

    /// Token ids must be below this. The tokenizer keeps a table indexed by id, as long as the largest id, so a file
    /// naming id 2,000,000,000 would otherwise ask for tens of gigabytes; real vocabularies stay far below it
    /// (Gemma's 262,144 tokens are among the largest).
    static let idLimit: Int64 = 1 << 24

    init(contentsOf url: URL) throws {
        self.url = url
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read tokenizer file (\(error.localizedDescription))", url: url)
        }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw InputError("not a tokenizer.json: the top level is not a JSON object", url: url)
            }
            root = object
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError("malformed JSON (\(error.localizedDescription))", url: url)
        }
        func fail(_ message: String) -> InputError { InputError(message, url: url) }

        guard let modelObject = root["model"] as? [String: Any] else { throw fail("no \"model\" object") }
        // HF's encode would cut or pad the ids by these; ignoring them would give other ids.
        if let truncation = root["truncation"], !(truncation is NSNull) {
            throw fail("unsupported truncation settings (encode would cut the ids; set \"truncation\": null)")
        }
        if let padding = root["padding"] as? [String: Any],
            padding["strategy"] is [String: Any] || padding["pad_to_multiple_of"] is NSNumber
        {
            throw fail("unsupported fixed-length padding (encode would pad the ids; set \"padding\": null)")
        }
        let type = modelObject["type"] as? String ?? (modelObject["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else {
            throw fail("unsupported tokenizer model type \"\(type)\" (only BPE models are supported)")
        }
        guard let vocabObject = modelObject["vocab"] as? [String: Any] else { throw fail("model.vocab is not an object") }
        guard let entries = RawVocabulary.entries(in: data), entries.count >= vocabObject.count else {
            throw fail("model.vocab could not be read")
        }
        var vocabulary: [[UInt8]: Int32] = [:]
        vocabulary.reserveCapacity(entries.count)
        for (token, id) in entries {
            guard let id, id >= 0, id < Self.idLimit else {
                throw fail(
                    "model.vocab[\(String(decoding: token, as: UTF8.self).debugDescription)] is not a valid token id "
                        + "(0 ≤ id < \(Self.idLimit))")
            }
            vocabulary[token] = Int32(id)
        }
        self.vocabulary = vocabulary
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = modelObject[key] as? String, !value.isEmpty {
                throw fail("unsupported BPE option model.\(key) = \(value.debugDescription)")
            }
        }
        if let dropout = (modelObject["dropout"] as? NSNumber)?.doubleValue, dropout > 0 {
            throw fail("unsupported BPE option model.dropout = \(dropout)")
        }

        normalizers = try Self.normalizers(root["normalizer"], fail)
        preTokenizer = PreTokenizer(steps: try Self.preTokenizerSteps(root["pre_tokenizer"], fail))
        // The BPE model sees byte-level characters only after a ByteLevel pre-tokenizer; otherwise it works on the
        // text's own characters (SentencePiece style).
        let byteLevel = preTokenizer.steps.contains { if case .byteLevel = $0 { return true } else { return false } }
        var byteIDs: [Int32] = []
        var characterIDs: [UInt32: Int32] = [:]
        if byteLevel {
            byteIDs = (0..<256).map { vocabulary[ByteLevelAlphabet.characterUTF8(UInt8($0))] ?? -1 }
        } else {
            for (token, id) in vocabulary where !token.isEmpty {
                let scalars = String(decoding: token, as: UTF8.self).unicodeScalars
                if scalars.count == 1 { characterIDs[scalars.first!.value] = id }
            }
        }
        var unknownID: Int32?
        if let unknown = modelObject["unk_token"] as? String {
            guard let id = vocabulary[Array(unknown.utf8)] else { throw fail("model.unk_token \(unknown.debugDescription) is not in the vocabulary") }
            unknownID = id
        }
        var wholeWords: [[UInt8]: Int32]?
        if (modelObject["ignore_merges"] as? Bool) == true {
            wholeWords = [:]
            for (token, id) in vocabulary {
                if let bytes = byteLevel ? ByteLevelAlphabet.decode(String(decoding: token, as: UTF8.self)) : token {
                    wholeWords![bytes] = id
                }
            }
        }
        var byteFallback: [Int32]?
        if (modelObject["byte_fallback"] as? Bool) == true {
            byteFallback = (0..<256).map { vocabulary[Array("<0x\(Self.hex($0))>".utf8)] ?? -1 }
        }
        model = BytePairModel(
            byteIDs: byteIDs, characterIDs: characterIDs, merges: try Self.mergeTable(modelObject["merges"], vocabulary, fail),
            wholeWords: wholeWords, unknownID: unknownID,
            fuseUnknown: (modelObject["fuse_unk"] as? Bool) ?? false, byteFallback: byteFallback)

        addedTokens = try Self.addedTokens(root["added_tokens"], fail)
        for token in addedTokens { self.vocabulary[Array(token.content.utf8)] = token.id }
        postProcessor = try Self.postProcessor(root["post_processor"], fail)
        decoder = Decoder(steps: try Self.decoderSteps(root["decoder"], fail))
    }

    /// A byte as two uppercase hex digits, as HF spells byte-fallback tokens (`<0x0A>`).
    private static func hex(_ byte: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[byte >> 4], digits[byte & 15]])
    }

    /// The one character of a string field (Metaspace's replacement, Strip's content).
    private static func character(_ value: Any?, _ name: String, _ fail: (String) -> InputError) throws -> Unicode.Scalar {
        guard let string = value as? String, string.unicodeScalars.count == 1 else {
            throw fail("\(name) is not a single character")
        }
        return string.unicodeScalars.first!
    }

    /// A `Replace` pattern: only the literal form; a regex would need Rust's regex semantics.
    private static func literalPattern(_ object: [String: Any], _ name: String, _ fail: (String) -> InputError) throws -> String {
        let pattern = object["pattern"] as? [String: Any]
        if let literal = pattern?["String"] as? String, !literal.isEmpty { return literal }
        if let regex = pattern?["Regex"] as? String {
            throw fail("unsupported \(name) Replace with a regex pattern \(regex.debugDescription)")
        }
        throw fail("\(name) Replace has no pattern")
    }

    /// Metaspace's `prepend_scheme`, or the older `add_prefix_space` flag.
    private static func prependScheme(_ object: [String: Any], _ fail: (String) -> InputError) throws -> PrependScheme {
        guard let name = object["prepend_scheme"] as? String else {
            return (object["add_prefix_space"] as? Bool ?? true) ? .always : .never
        }
        guard let scheme = PrependScheme(rawValue: name) else { throw fail("unsupported Metaspace prepend_scheme \"\(name)\"") }
        return scheme
    }

    private static func mergeTable(
        _ value: Any?, _ vocabulary: [[UInt8]: Int32],
        _ fail: (String) -> InputError
    ) throws -> MergeTable {
        guard let merges = value as? [Any] else { throw fail("model.merges is not a list") }
        var table = MergeTable(capacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            // Split as bytes: a space followed by a combining mark is one Character.
            let pair: [[UInt8]]
            if let line = merge as? String {
                pair = line.utf8.split(separator: 0x20, omittingEmptySubsequences: false).map(Array.init)
            } else {
                pair = (merge as? [Any])?.compactMap { ($0 as? String).map { Array($0.utf8) } } ?? []
            }
            guard pair.count == 2 else { throw fail("model.merges[\(rank)] is not a pair of tokens") }
            guard let left = vocabulary[pair[0]], let right = vocabulary[pair[1]],
                let merged = vocabulary[pair[0] + pair[1]]
            else {
                let shown = pair.map { String(decoding: $0, as: UTF8.self) }
                throw fail("model.merges[\(rank)] (\(shown[0]) \(shown[1])) uses a token that is not in the vocabulary")
            }
            table.set(left, right, rank: rank, merged: merged)
        }
        return table
    }

    private static func addedTokens(_ value: Any?, _ fail: (String) -> InputError) throws -> [AddedToken] {
        guard let list = value as? [Any] else {
            if value == nil || value is NSNull { return [] }
            throw fail("added_tokens is not a list")
        }
        return try list.enumerated().map { index, item in
            guard let object = item as? [String: Any], let content = object["content"] as? String,
                let id = (object["id"] as? NSNumber)?.int64Value, id >= 0, id < idLimit
            else {
                throw fail("added_tokens[\(index)] lacks a content string or a valid id (0 ≤ id < \(idLimit))")
            }
            return AddedToken(
                id: Int32(id), content: content,
                singleWord: object["single_word"] as? Bool ?? false,
                leftStrip: object["lstrip"] as? Bool ?? false,
                rightStrip: object["rstrip"] as? Bool ?? false,
                normalized: object["normalized"] as? Bool ?? true,
                special: object["special"] as? Bool ?? false)
        }
    }

    private static func normalizers(_ value: Any?, _ fail: (String) -> InputError) throws -> [Normalizer] {
        guard let value, !(value is NSNull) else { return [] }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw fail("normalizer is not an object with a type")
        }
        switch type {
        case "NFC": return [.nfc]
        case "NFD": return [.nfd]
        case "NFKC": return [.nfkc]
        case "NFKD": return [.nfkd]
        case "Lowercase": return [.lowercase]
        case "Replace":
            let pattern = try literalPattern(object, "normalizer", fail)
            guard let content = object["content"] as? String else { throw fail("normalizer Replace has no content") }
            return [.replace(pattern: Array(pattern.utf8), content: Array(content.utf8))]
        case "Prepend":
            guard let prefix = object["prepend"] as? String else { throw fail("normalizer Prepend has no prepend string") }
            return prefix.isEmpty ? [] : [.prepend(Array(prefix.utf8))]
        case "Sequence":
            guard let list = object["normalizers"] as? [Any] else { throw fail("normalizer Sequence has no list") }
            return try list.flatMap { try normalizers($0, fail) }
        default:
            throw fail("unsupported normalizer type \"\(type)\"")
        }
    }

    private static func preTokenizerSteps(_ value: Any?, _ fail: (String) -> InputError) throws -> [PreTokenizerStep] {
        guard let value, !(value is NSNull) else { return [] }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw fail("pre_tokenizer is not an object with a type")
        }
        switch type {
        case "Sequence":
            guard let list = object["pretokenizers"] as? [Any] else { throw fail("pre_tokenizer Sequence has no list") }
            return try list.flatMap { try preTokenizerSteps($0, fail) }
        case "ByteLevel":
            return [
                .byteLevel(
                    addPrefixSpace: object["add_prefix_space"] as? Bool ?? true,
                    useRegex: object["use_regex"] as? Bool ?? true)
            ]
        case "Split":
            let patternObject = object["pattern"] as? [String: Any]
            let pattern: SplitPattern
            if let source = patternObject?["Regex"] as? String {
                guard let compiled = SplitPattern(regex: source) else {
                    throw fail("unsupported Split regex \(source.debugDescription) (NSRegularExpression cannot compile it)")
                }
                pattern = compiled
            } else if let literal = patternObject?["String"] as? String {
                pattern = .literal(Array(literal.utf8))
            } else {
                throw fail("Split pre-tokenizer has no pattern")
            }
            let behaviorName = object["behavior"] as? String ?? "Isolated"
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw fail("unsupported Split behavior \"\(behaviorName)\"")
            }
            return [.split(pattern, behavior, invert: object["invert"] as? Bool ?? false)]
        case "Metaspace":
            let replacement = try character(object["replacement"], "Metaspace replacement", fail)
            return [
                .metaspace(
                    replacement: Array(String(replacement).utf8), prepend: try prependScheme(object, fail),
                    split: object["split"] as? Bool ?? true)
            ]
        default:
            throw fail("unsupported pre_tokenizer type \"\(type)\"")
        }
    }

    private static func postProcessor(_ value: Any?, _ fail: (String) -> InputError) throws -> PostProcessor {
        guard let value, !(value is NSNull) else { return PostProcessor() }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw fail("post_processor is not an object with a type")
        }
        switch type {
        case "ByteLevel":
            return PostProcessor()
        case "Sequence":
            guard let list = object["processors"] as? [Any] else { throw fail("post_processor Sequence has no list") }
            let adding = try list.map { try postProcessor($0, fail) }.filter { !$0.isIdentity }
            guard adding.count <= 1 else {
                throw fail("unsupported post_processor Sequence with more than one processor that adds tokens")
            }
            return adding.first ?? PostProcessor()
        case "RobertaProcessing", "BertProcessing":
            guard let cls = (object["cls"] as? [Any])?.last as? NSNumber, let sep = (object["sep"] as? [Any])?.last as? NSNumber else {
                throw fail("\(type) lacks its cls or sep token")
            }
            let (first, second) = (PostProcessor.Piece.sequence(second: false), PostProcessor.Piece.sequence(second: true))
            let (open, close) = (PostProcessor.Piece.special([cls.int32Value]), PostProcessor.Piece.special([sep.int32Value]))
            return PostProcessor(
                single: [open, first, close],
                pair: type == "RobertaProcessing"
                    ? [open, first, close, close, second, close]
                    : [open, first, close, second, close])
        case "TemplateProcessing":
            let specials = object["special_tokens"] as? [String: Any] ?? [:]
            func pieces(_ key: String) throws -> [PostProcessor.Piece]? {
                guard let template = object[key] as? [Any] else { return nil }
                return try template.map { item in
                    guard let piece = item as? [String: Any] else { throw fail("TemplateProcessing has a malformed \(key) piece") }
                    if let sequence = piece["Sequence"] as? [String: Any], let id = sequence["id"] as? String, id == "A" || id == "B" {
                        return .sequence(second: id == "B")
                    }
                    guard let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String else {
                        throw fail("TemplateProcessing has a malformed \(key) piece")
                    }
                    guard let ids = (specials[name] as? [String: Any])?["ids"] as? [NSNumber] else {
                        throw fail("TemplateProcessing special token \(name.debugDescription) has no ids")
                    }
                    return .special(ids.map(\.int32Value))
                }
            }
            guard let single = try pieces("single") else { throw fail("TemplateProcessing has no single template") }
            return PostProcessor(single: single, pair: try pieces("pair") ?? single + [.sequence(second: true)])
        default:
            throw fail("unsupported post_processor type \"\(type)\"")
        }
    }

    /// The decoder chain; nil when the file has none (HF then joins tokens with spaces).
    private static func decoderSteps(_ value: Any?, _ fail: (String) -> InputError) throws -> [DecoderStep]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw fail("decoder is not an object with a type")
        }
        switch type {
        case "ByteLevel": return [.byteLevel]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Replace":
            let pattern = try literalPattern(object, "decoder", fail)
            guard let content = object["content"] as? String else { throw fail("decoder Replace has no content") }
            return [.replace(pattern: Array(pattern.unicodeScalars), content: Array(content.unicodeScalars))]
        case "Strip":
            let content = try character(object["content"], "decoder Strip content", fail)
            guard let start = (object["start"] as? NSNumber)?.intValue, let stop = (object["stop"] as? NSNumber)?.intValue,
                start >= 0, stop >= 0
            else {
                throw fail("decoder Strip lacks its start or stop count")
            }
            return [.strip(content: content, start: start, stop: stop)]
        case "Metaspace":
            let replacement = try character(object["replacement"], "decoder Metaspace replacement", fail)
            return [.metaspace(replacement: replacement, dropsFirst: try prependScheme(object, fail) != .never)]
        case "Sequence":
            guard let list = object["decoders"] as? [Any] else { throw fail("decoder Sequence has no list") }
            return try list.flatMap { try decoderSteps($0, fail) ?? [] }
        default:
            throw fail("unsupported decoder type \"\(type)\"")
        }
    }
}
