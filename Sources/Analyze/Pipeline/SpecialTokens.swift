import Formats
import Foundation
import Tokenizers

/// How a run treats the tokenizer's special tokens: whether each text starts with BOS (as the SAE was trained), and
/// which ids are special, so their positions can be left out of every statistic (SAELens's evals and SAEBench
/// leave out BOS, EOS and pad; their residuals are attention sinks with norms far above the rest).
struct SpecialTokens: Sendable {
    /// How texts become ids.
    enum Start: Equatable, Sendable {
        /// The tokenizer's own `encode` (HF `add_special_tokens=True`): the SAE does not say how it was trained.
        case tokenizerDefault
        /// No special tokens added (SAELens `prepend_bos: false`, TransformerLens `prepend_bos=False`).
        case none
        /// This BOS id, then the text's ids without the tokenizer's special tokens (TransformerLens `to_tokens`
        /// with `prepend_bos=True`, what SAELens trains with).
        case bos(Int32)
    }

    let start: Start
    /// The ids whose positions are special: the tokenizer's added tokens marked `special`, and the BOS.
    let ids: Set<Int32>

    /// `prependBOS` is the SAE's `prepend_bos` (nil when its format does not say). With `true` the BOS is the one the
    /// tokenizer's post-processor adds (Gemma, Llama), else `bos_token` of `tokenizer_config.json` or `bos_token_id` of
    /// `config.json`, else the EOS as TransformerLens uses it for tokenizers without BOS (Qwen).
    init(tokenizer: Tokenizer, modelDirectory: URL, prependBOS: Bool?) throws {
        switch prependBOS {
        case nil: start = .tokenizerDefault
        case false?: start = .none
        case true?:
            guard let bos = try Self.beginningOfSequence(tokenizer: tokenizer, modelDirectory: modelDirectory) else {
                throw InputError(
                    "the SAE was trained with prepend_bos, but the tokenizer names no BOS or EOS token (no post-processor "
                        + "BOS, bos_token/eos_token here, or bos_token_id/eos_token_id in config.json)",
                    url: modelDirectory.appendingPathComponent("tokenizer_config.json"))
            }
            start = .bos(bos)
        }
        var ids = tokenizer.specialTokenIDs
        if case .bos(let bos) = start { ids.insert(bos) }
        self.ids = ids
    }

    init(start: Start, ids: Set<Int32>) {
        self.start = start
        self.ids = ids
    }

    /// The ids of one text as the pass runs them in model windows of `context` tokens (a text's windows start at
    /// multiples of `context`); empty when the text has none of its own, so a text is never a lone BOS.
    func encode(_ text: String, with tokenizer: Tokenizer, context: Int) -> [Int32] {
        switch start {
        case .tokenizerDefault: return tokenizer.encode(text)
        case .none: return tokenizer.encode(text, addSpecialTokens: false)
        case .bos(let bos): return Self.bosPerWindow(tokenizer.encode(text, addSpecialTokens: false), bos: bos, context: context)
        }
    }

    /// `ids` cut into windows of `context − 1` ids, each after a `bos`: SAELens trains a `prepend_bos` SAE on contexts
    /// that all start with BOS, so every model window of a long text does too (not only its first).
    static func bosPerWindow(_ ids: [Int32], bos: Int32, context: Int) -> [Int32] {
        precondition(context >= 2, "a window must hold the BOS and at least one token")
        var result: [Int32] = []
        result.reserveCapacity(ids.count + ids.count / (context - 1) + 1)
        for first in stride(from: 0, to: ids.count, by: context - 1) {
            result.append(bos)
            result += ids[first..<min(first + context - 1, ids.count)]
        }
        return result
    }

    /// The BOS put before every text, if any.
    var prependedBOS: Int32? {
        if case .bos(let bos) = start { return bos }
        return nil
    }

    /// Whether each of `tokens` is a special token.
    func flags(_ tokens: [Int32]) -> [Bool] { ids.isEmpty ? [Bool](repeating: false, count: tokens.count) : tokens.map(ids.contains) }

    private static func beginningOfSequence(tokenizer: Tokenizer, modelDirectory: URL) throws -> Int32? {
        if let first = tokenizer.leadingSpecialTokens.first { return first }
        let tokenizerConfig = try object(modelDirectory.appendingPathComponent("tokenizer_config.json"))
        let modelConfig = try object(modelDirectory.appendingPathComponent("config.json"))
        func named(_ key: String) -> Int32? {
            switch tokenizerConfig[key] {
            case .string(let content)?: tokenizer.id(of: content)
            case .object(let fields)?: if case .string(let content)? = fields["content"] { tokenizer.id(of: content) } else { nil }
            default: nil
            }
        }
        func numbered(_ key: String) -> Int32? {
            switch modelConfig[key] {
            case .int(let id)?: Int32(exactly: id)
            case .array(let ids)?: if case .int(let id)? = ids.first { Int32(exactly: id) } else { nil }
            default: nil
            }
        }
        return named("bos_token") ?? numbered("bos_token_id") ?? named("eos_token") ?? numbered("eos_token_id")
    }

    /// The top-level object of a JSON file, or an empty one when the file does not exist.
    private static func object(_ url: URL) throws -> [String: JSONValue] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        guard case .object(let fields) = try JSONValue(parsing: data, url: url) else {
            throw InputError("expected a JSON object at the top level", url: url)
        }
        return fields
    }
}
