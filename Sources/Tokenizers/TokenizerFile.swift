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
    /// Model vocabulary and added tokens: token string → id.
    var vocabulary: [String: Int32]

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
        let type = modelObject["type"] as? String ?? (modelObject["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else {
            throw fail("unsupported tokenizer model type \"\(type)\" (only byte-level BPE is supported)")
        }
        guard let vocabObject = modelObject["vocab"] as? [String: Any] else { throw fail("model.vocab is not an object") }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(vocabObject.count)
        for (token, value) in vocabObject {
            guard let id = (value as? NSNumber)?.int64Value, id >= 0, id < Self.idLimit else {
                throw fail("model.vocab[\(token.debugDescription)] is not a valid token id (0 ≤ id < \(Self.idLimit))")
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
        if (modelObject["byte_fallback"] as? Bool) == true {
            throw fail("unsupported BPE option model.byte_fallback (not a byte-level BPE)")
        }

        let byteIDs = (0..<256).map { vocabulary[String(ByteLevelAlphabet.characters[$0])] ?? -1 }
        var unknownID: Int32?
        if let unknown = modelObject["unk_token"] as? String {
            guard let id = vocabulary[unknown] else { throw fail("model.unk_token \(unknown.debugDescription) is not in the vocabulary") }
            unknownID = id
        }
        var wholeWords: [[UInt8]: Int32]?
        if (modelObject["ignore_merges"] as? Bool) == true {
            wholeWords = [:]
            for (token, id) in vocabulary { if let bytes = ByteLevelAlphabet.decode(token) { wholeWords![bytes] = id } }
        }
        model = BytePairModel(byteIDs: byteIDs, merges: try Self.mergeTable(modelObject["merges"], vocabulary, fail),
                              wholeWords: wholeWords, unknownID: unknownID,
                              fuseUnknown: (modelObject["fuse_unk"] as? Bool) ?? false)

        addedTokens = try Self.addedTokens(root["added_tokens"], fail)
        for token in addedTokens { self.vocabulary[token.content] = token.id }
        normalizers = try Self.normalizers(root["normalizer"], fail)
        preTokenizer = PreTokenizer(steps: try Self.preTokenizerSteps(root["pre_tokenizer"], fail))
        guard preTokenizer.steps.contains(where: { if case .byteLevel = $0 { return true } else { return false } }) else {
            throw fail("unsupported: the BPE model has no ByteLevel pre-tokenizer (only byte-level BPE is supported)")
        }
        postProcessor = try Self.postProcessor(root["post_processor"], self.vocabulary, fail)
    }

    private static func mergeTable(_ value: Any?, _ vocabulary: [String: Int32],
                                   _ fail: (String) -> InputError) throws -> MergeTable {
        guard let merges = value as? [Any] else { throw fail("model.merges is not a list") }
        var table = MergeTable(capacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            let pair: [String]
            if let line = merge as? String {
                pair = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                pair = (merge as? [Any])?.compactMap { $0 as? String } ?? []
            }
            guard pair.count == 2 else { throw fail("model.merges[\(rank)] is not a pair of tokens") }
            guard let left = vocabulary[pair[0]], let right = vocabulary[pair[1]],
                  let merged = vocabulary[pair[0] + pair[1]] else {
                throw fail("model.merges[\(rank)] (\(pair[0]) \(pair[1])) uses a token that is not in the vocabulary")
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
                  let id = (object["id"] as? NSNumber)?.int64Value, id >= 0, id < idLimit else {
                throw fail("added_tokens[\(index)] lacks a content string or a valid id (0 ≤ id < \(idLimit))")
            }
            return AddedToken(id: Int32(id), content: content,
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
            return [.byteLevel(addPrefixSpace: object["add_prefix_space"] as? Bool ?? true,
                               useRegex: object["use_regex"] as? Bool ?? true)]
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
        default:
            throw fail("unsupported pre_tokenizer type \"\(type)\"")
        }
    }

    private static func postProcessor(_ value: Any?, _ vocabulary: [String: Int32],
                                      _ fail: (String) -> InputError) throws -> PostProcessor {
        guard let value, !(value is NSNull) else { return PostProcessor() }
        guard let object = value as? [String: Any], let type = object["type"] as? String else {
            throw fail("post_processor is not an object with a type")
        }
        switch type {
        case "ByteLevel":
            return PostProcessor()
        case "Sequence":
            guard let list = object["processors"] as? [Any] else { throw fail("post_processor Sequence has no list") }
            var result = PostProcessor()
            for item in list {
                let inner = try postProcessor(item, vocabulary, fail)
                result.prefix = inner.prefix + result.prefix
                result.suffix += inner.suffix
            }
            return result
        case "RobertaProcessing", "BertProcessing":
            guard let cls = (object["cls"] as? [Any])?.last as? NSNumber, let sep = (object["sep"] as? [Any])?.last as? NSNumber else {
                throw fail("\(type) lacks its cls or sep token")
            }
            return PostProcessor(prefix: [cls.int32Value], suffix: [sep.int32Value])
        case "TemplateProcessing":
            guard let single = object["single"] as? [Any] else { throw fail("TemplateProcessing has no single template") }
            let specials = object["special_tokens"] as? [String: Any] ?? [:]
            var result = PostProcessor()
            var seenSequence = false
            for item in single {
                guard let piece = item as? [String: Any] else { throw fail("TemplateProcessing has a malformed template piece") }
                if piece["Sequence"] != nil {
                    seenSequence = true
                } else if let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    guard let ids = (specials[name] as? [String: Any])?["ids"] as? [NSNumber] else {
                        throw fail("TemplateProcessing special token \(name.debugDescription) has no ids")
                    }
                    if seenSequence { result.suffix += ids.map(\.int32Value) } else { result.prefix += ids.map(\.int32Value) }
                } else {
                    throw fail("TemplateProcessing has a malformed template piece")
                }
            }
            return result
        default:
            throw fail("unsupported post_processor type \"\(type)\"")
        }
    }
}
