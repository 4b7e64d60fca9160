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
    var vocabulary: [TokenBytes: Int32]

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
        // The vocabulary is read verbatim: its keys must stay byte-exact (see JSONValue.parse).
        let (root, entries) = try JSONValue.parse(data, url: url, verbatimObjectAt: ["model", "vocab"])
        func fail(_ message: String) -> InputError { InputError(message, url: url) }

        guard root.fields != nil else { throw fail("not a tokenizer.json: the top level is not a JSON object") }
        guard let modelObject = root.member("model"), modelObject.fields != nil else { throw fail("no \"model\" object") }
        // HF's encode would cut or pad the ids by these; ignoring them would give other ids.
        if let truncation = root.member("truncation"), !truncation.isNull {
            throw fail("unsupported truncation settings (encode would cut the ids; set \"truncation\": null)")
        }
        if let padding = root.member("padding"),
            padding.member("strategy")?.fields != nil || padding.member("pad_to_multiple_of")?.number != nil
        {
            throw fail("unsupported fixed-length padding (encode would pad the ids; set \"padding\": null)")
        }
        let type = modelObject.member("type")?.text ?? (modelObject.member("merges") != nil ? "BPE" : "unknown")
        guard type == "BPE" else {
            throw fail("unsupported tokenizer model type \"\(type)\" (only BPE models are supported)")
        }
        guard let entries else { throw fail("model.vocab is not an object") }
        var vocabulary: [TokenBytes: Int32] = [:]
        vocabulary.reserveCapacity(entries.count)
        for (token, value) in entries {
            guard let id = Self.tokenID(value) else {
                throw fail(
                    "model.vocab[\(String(decoding: token, as: UTF8.self).debugDescription)] is not a valid token id "
                        + "(0 ≤ id < \(Self.idLimit))")
            }
            vocabulary[TokenBytes(token)] = id
        }
        self.vocabulary = vocabulary
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = modelObject.member(key)?.text, !value.isEmpty {
                throw fail("unsupported BPE option model.\(key) = \(value.debugDescription)")
            }
        }
        if let dropout = modelObject.member("dropout")?.number, dropout > 0 {
            throw fail("unsupported BPE option model.dropout = \(dropout)")
        }

        normalizers = try Self.normalizers(root.member("normalizer"), fail)
        preTokenizer = PreTokenizer(steps: try Self.preTokenizerSteps(root.member("pre_tokenizer"), fail))
        // The BPE model sees byte-level characters only after a ByteLevel pre-tokenizer; otherwise it works on the
        // text's own characters (SentencePiece style).
        let byteLevel = preTokenizer.steps.contains { if case .byteLevel = $0 { return true } else { return false } }
        var byteIDs: [Int32] = []
        var characterIDs: [UInt32: Int32] = [:]
        if byteLevel {
            byteIDs = (0..<256).map { vocabulary[TokenBytes(ByteLevelAlphabet.characterUTF8(UInt8($0)))] ?? -1 }
        } else {
            for (token, id) in vocabulary where !token.utf8.isEmpty {
                let scalars = String(decoding: token.utf8, as: UTF8.self).unicodeScalars
                if scalars.count == 1 { characterIDs[scalars.first!.value] = id }
            }
        }
        var unknownID: Int32?
        if let unknown = modelObject.member("unk_token")?.text {
            guard let id = vocabulary[TokenBytes(unknown)] else { throw fail("model.unk_token \(unknown.debugDescription) is not in the vocabulary") }
            unknownID = id
        }
        var wholeWords: [TokenBytes: Int32]?
        if modelObject.member("ignore_merges")?.flag == true {
            wholeWords = [:]
            for (token, id) in vocabulary {
                if let bytes = byteLevel ? ByteLevelAlphabet.decode(String(decoding: token.utf8, as: UTF8.self)) : token.utf8 {
                    wholeWords![TokenBytes(bytes)] = id
                }
            }
        }
        var byteFallback: [Int32]?
        if modelObject.member("byte_fallback")?.flag == true {
            byteFallback = (0..<256).map { vocabulary[TokenBytes("<0x\(Self.hex($0))>")] ?? -1 }
        }
        model = BytePairModel(
            byteIDs: byteIDs, characterIDs: characterIDs, merges: try Self.mergeTable(modelObject.member("merges"), vocabulary, fail),
            wholeWords: wholeWords, unknownID: unknownID,
            fuseUnknown: modelObject.member("fuse_unk")?.flag ?? false, byteFallback: byteFallback)

        addedTokens = try Self.addedTokens(root.member("added_tokens"), fail)
        for token in addedTokens { self.vocabulary[TokenBytes(token.content)] = token.id }
        postProcessor = try Self.postProcessor(root.member("post_processor"), fail)
        decoder = Decoder(steps: try Self.decoderSteps(root.member("decoder"), fail))
    }

    /// A byte as two uppercase hex digits, as HF spells byte-fallback tokens (`<0x0A>`).
    private static func hex(_ byte: Int) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[byte >> 4], digits[byte & 15]])
    }

    /// A token id: an integer with 0 ≤ id < idLimit.
    private static func tokenID(_ value: JSONValue?) -> Int32? {
        guard case .int(let id)? = value, id >= 0, id < idLimit else { return nil }
        return Int32(id)
    }

    /// The one character of a string field (Metaspace's replacement, Strip's content).
    private static func character(_ value: JSONValue?, _ name: String, _ fail: (String) -> InputError) throws -> Unicode.Scalar {
        guard let string = value?.text, string.unicodeScalars.count == 1 else {
            throw fail("\(name) is not a single character")
        }
        return string.unicodeScalars.first!
    }

    /// A `Replace` pattern: only the literal form; a regex would need Rust's regex semantics.
    private static func literalPattern(_ object: JSONValue, _ name: String, _ fail: (String) -> InputError) throws -> String {
        let pattern = object.member("pattern")
        if let literal = pattern?.member("String")?.text, !literal.isEmpty { return literal }
        if let regex = pattern?.member("Regex")?.text {
            throw fail("unsupported \(name) Replace with a regex pattern \(regex.debugDescription)")
        }
        throw fail("\(name) Replace has no pattern")
    }

    /// Metaspace's `prepend_scheme`, or the older `add_prefix_space` flag.
    private static func prependScheme(_ object: JSONValue, _ fail: (String) -> InputError) throws -> PrependScheme {
        guard let name = object.member("prepend_scheme")?.text else {
            return (object.member("add_prefix_space")?.flag ?? true) ? .always : .never
        }
        guard let scheme = PrependScheme(rawValue: name) else { throw fail("unsupported Metaspace prepend_scheme \"\(name)\"") }
        return scheme
    }

    private static func mergeTable(
        _ value: JSONValue?, _ vocabulary: [TokenBytes: Int32],
        _ fail: (String) -> InputError
    ) throws -> MergeTable {
        guard let merges = value?.items else { throw fail("model.merges is not a list") }
        var table = MergeTable(capacity: merges.count)
        let index = TokenIndex(vocabulary)
        for (rank, merge) in merges.enumerated() {
            // Split as bytes: a space followed by a combining mark is one Character.
            let pair: [String]
            if let line = merge.text {
                pair = line.utf8.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false).map { String($0)! }
            } else {
                pair = merge.items?.compactMap(\.text) ?? []
            }
            guard pair.count == 2 else { throw fail("model.merges[\(rank)] is not a pair of tokens") }
            var (first, second) = (pair[0], pair[1])
            let ids = first.withUTF8 { left in
                second.withUTF8 { right in (index.id(left), index.id(right), index.id(left, right)) }
            }
            guard let left = ids.0, let right = ids.1, let merged = ids.2 else {
                throw fail("model.merges[\(rank)] (\(pair[0]) \(pair[1])) uses a token that is not in the vocabulary")
            }
            table.set(left, right, rank: rank, merged: merged)
        }
        return table
    }

    private static func addedTokens(_ value: JSONValue?, _ fail: (String) -> InputError) throws -> [AddedToken] {
        guard let list = value?.items else {
            if value == nil || value == .null { return [] }
            throw fail("added_tokens is not a list")
        }
        return try list.enumerated().map { index, item in
            guard let content = item.member("content")?.text, let id = tokenID(item.member("id")) else {
                throw fail("added_tokens[\(index)] lacks a content string or a valid id (0 ≤ id < \(idLimit))")
            }
            return AddedToken(
                id: id, content: content,
                singleWord: item.member("single_word")?.flag ?? false,
                leftStrip: item.member("lstrip")?.flag ?? false,
                rightStrip: item.member("rstrip")?.flag ?? false,
                normalized: item.member("normalized")?.flag ?? true,
                special: item.member("special")?.flag ?? false)
        }
    }

    private static func normalizers(_ value: JSONValue?, _ fail: (String) -> InputError) throws -> [Normalizer] {
        guard let object = value, !object.isNull else { return [] }
        guard object.fields != nil, let type = object.member("type")?.text else {
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
            guard let content = object.member("content")?.text else { throw fail("normalizer Replace has no content") }
            return [.replace(pattern: Array(pattern.utf8), content: Array(content.utf8))]
        case "Prepend":
            guard let prefix = object.member("prepend")?.text else { throw fail("normalizer Prepend has no prepend string") }
            return prefix.isEmpty ? [] : [.prepend(Array(prefix.utf8))]
        case "Sequence":
            guard let list = object.member("normalizers")?.items else { throw fail("normalizer Sequence has no list") }
            return try list.flatMap { try normalizers($0, fail) }
        default:
            throw fail("unsupported normalizer type \"\(type)\"")
        }
    }

    private static func preTokenizerSteps(_ value: JSONValue?, _ fail: (String) -> InputError) throws -> [PreTokenizerStep] {
        guard let object = value, !object.isNull else { return [] }
        guard object.fields != nil, let type = object.member("type")?.text else {
            throw fail("pre_tokenizer is not an object with a type")
        }
        switch type {
        case "Sequence":
            guard let list = object.member("pretokenizers")?.items else { throw fail("pre_tokenizer Sequence has no list") }
            return try list.flatMap { try preTokenizerSteps($0, fail) }
        case "ByteLevel":
            return [
                .byteLevel(
                    addPrefixSpace: object.member("add_prefix_space")?.flag ?? true,
                    useRegex: object.member("use_regex")?.flag ?? true)
            ]
        case "Split":
            let patternObject = object.member("pattern")
            let pattern: SplitPattern
            if let source = patternObject?.member("Regex")?.text {
                guard let compiled = SplitPattern(regex: source) else {
                    throw fail("unsupported Split regex \(source.debugDescription) (NSRegularExpression cannot compile it)")
                }
                pattern = compiled
            } else if let literal = patternObject?.member("String")?.text {
                pattern = .literal(Array(literal.utf8))
            } else {
                throw fail("Split pre-tokenizer has no pattern")
            }
            let behaviorName = object.member("behavior")?.text ?? "Isolated"
            guard let behavior = SplitBehavior(rawValue: behaviorName) else {
                throw fail("unsupported Split behavior \"\(behaviorName)\"")
            }
            return [.split(pattern, behavior, invert: object.member("invert")?.flag ?? false)]
        case "Metaspace":
            let replacement = try character(object.member("replacement"), "Metaspace replacement", fail)
            return [
                .metaspace(
                    replacement: Array(String(replacement).utf8), prepend: try prependScheme(object, fail),
                    split: object.member("split")?.flag ?? true)
            ]
        default:
            throw fail("unsupported pre_tokenizer type \"\(type)\"")
        }
    }

    private static func postProcessor(_ value: JSONValue?, _ fail: (String) -> InputError) throws -> PostProcessor {
        guard let object = value, !object.isNull else { return PostProcessor() }
        guard object.fields != nil, let type = object.member("type")?.text else {
            throw fail("post_processor is not an object with a type")
        }
        switch type {
        case "ByteLevel":
            return PostProcessor()
        case "Sequence":
            guard let list = object.member("processors")?.items else { throw fail("post_processor Sequence has no list") }
            let adding = try list.map { try postProcessor($0, fail) }.filter { !$0.isIdentity }
            guard adding.count <= 1 else {
                throw fail("unsupported post_processor Sequence with more than one processor that adds tokens")
            }
            return adding.first ?? PostProcessor()
        case "RobertaProcessing", "BertProcessing":
            guard let cls = tokenID(object.member("cls")?.items?.last), let sep = tokenID(object.member("sep")?.items?.last) else {
                throw fail("\(type) lacks its cls or sep token")
            }
            let (first, second) = (PostProcessor.Piece.sequence(second: false), PostProcessor.Piece.sequence(second: true))
            let (open, close) = (PostProcessor.Piece.special([cls]), PostProcessor.Piece.special([sep]))
            return PostProcessor(
                single: [open, first, close],
                pair: type == "RobertaProcessing"
                    ? [open, first, close, close, second, close]
                    : [open, first, close, second, close])
        case "TemplateProcessing":
            let specials = object.member("special_tokens")
            func pieces(_ key: String) throws -> [PostProcessor.Piece]? {
                guard let template = object.member(key)?.items else { return nil }
                return try template.map { item in
                    guard item.fields != nil else { throw fail("TemplateProcessing has a malformed \(key) piece") }
                    if let id = item.member("Sequence")?.member("id")?.text, id == "A" || id == "B" {
                        return .sequence(second: id == "B")
                    }
                    guard let name = item.member("SpecialToken")?.member("id")?.text else {
                        throw fail("TemplateProcessing has a malformed \(key) piece")
                    }
                    guard let ids = specials?.member(name)?.member("ids")?.items?.map(tokenID), !ids.contains(nil) else {
                        throw fail("TemplateProcessing special token \(name.debugDescription) has no ids")
                    }
                    return .special(ids.map { $0! })
                }
            }
            guard let single = try pieces("single") else { throw fail("TemplateProcessing has no single template") }
            return PostProcessor(single: single, pair: try pieces("pair") ?? single + [.sequence(second: true)])
        default:
            throw fail("unsupported post_processor type \"\(type)\"")
        }
    }

    /// The decoder chain; nil when the file has none (HF then joins tokens with spaces).
    private static func decoderSteps(_ value: JSONValue?, _ fail: (String) -> InputError) throws -> [DecoderStep]? {
        guard let object = value, !object.isNull else { return nil }
        guard object.fields != nil, let type = object.member("type")?.text else {
            throw fail("decoder is not an object with a type")
        }
        switch type {
        case "ByteLevel": return [.byteLevel]
        case "ByteFallback": return [.byteFallback]
        case "Fuse": return [.fuse]
        case "Replace":
            let pattern = try literalPattern(object, "decoder", fail)
            guard let content = object.member("content")?.text else { throw fail("decoder Replace has no content") }
            return [.replace(pattern: Array(pattern.unicodeScalars), content: Array(content.unicodeScalars))]
        case "Strip":
            let content = try character(object.member("content"), "decoder Strip content", fail)
            guard let start = object.member("start")?.integer, let stop = object.member("stop")?.integer,
                start >= 0, stop >= 0
            else {
                throw fail("decoder Strip lacks its start or stop count")
            }
            return [.strip(content: content, start: start, stop: stop)]
        case "Metaspace":
            let replacement = try character(object.member("replacement"), "decoder Metaspace replacement", fail)
            return [.metaspace(replacement: replacement, dropsFirst: try prependScheme(object, fail) != .never)]
        case "Sequence":
            guard let list = object.member("decoders")?.items else { throw fail("decoder Sequence has no list") }
            return try list.flatMap { try decoderSteps($0, fail) ?? [] }
        default:
            throw fail("unsupported decoder type \"\(type)\"")
        }
    }
}
