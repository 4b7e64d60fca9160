import Foundation

/// A Hugging Face `tokenizer.json` with a byte-level BPE model (Qwen2/Qwen3, GPT-2, Llama-3 style), producing the
/// same ids as the `tokenizers` library's `encode(text).ids`.
///
/// Encoding runs: added tokens are cut out of the raw text; the rest is normalized (NFC, …), cut again at
/// normalized added tokens, split into words by the pre-tokenizer, and each word's UTF-8 bytes are merged by BPE.
/// Thread-safe: any number of threads may encode at once (they share a locked word cache).
public final class Tokenizer: Sendable {
    private let normalizers: [Normalizer]
    private let rawAddedTokens: AddedTokenMatcher
    private let normalizedAddedTokens: AddedTokenMatcher
    private let preTokenizer: PreTokenizer
    private let model: BytePairModel
    private let postProcessor: PostProcessor
    private let vocabulary: [String: Int32]
    /// The bytes each id decodes to: `tokenBytes[tokenByteStarts[id]..<tokenByteStarts[id + 1]]`.
    private let tokenBytes: [UInt8]
    private let tokenByteStarts: [Int]
    private let cache = WordCache()

    /// Loads a tokenizer.json file. Throws `InputError` when it is missing, malformed, or not a byte-level BPE
    /// tokenizer (the message names the unsupported part).
    public init(contentsOf url: URL) throws {
        let file = try TokenizerFile(contentsOf: url)
        normalizers = file.normalizers
        preTokenizer = file.preTokenizer
        model = file.model
        postProcessor = file.postProcessor
        vocabulary = file.vocabulary
        // A normalized added token is looked for, and shown (as HF does), by its normalized content.
        let shownContents = file.addedTokens.map { token in
            let content = Array(token.content.utf8)
            guard token.normalized else { return content }
            return content.withUnsafeBufferPointer { Normalizer.apply(file.normalizers, to: $0) } ?? content
        }
        rawAddedTokens = AddedTokenMatcher(zip(shownContents, file.addedTokens).filter { !$1.normalized }.map { ($0, $1) })
        normalizedAddedTokens = AddedTokenMatcher(zip(shownContents, file.addedTokens).filter { $1.normalized }.map { ($0, $1) })

        // Every id's bytes: vocabulary entries and added tokens alike go back through the byte-level alphabet when
        // they can (HF's ByteLevel decoder), else they are their UTF-8.
        // Added tokens count too: two with the same content leave only one id in the vocabulary.
        let largestID = max(file.vocabulary.values.max() ?? -1, file.addedTokens.map(\.id).max() ?? -1)
        var strings: [String?] = Array(repeating: nil, count: Int(largestID) + 1)
        for (token, id) in file.vocabulary { strings[Int(id)] = token }
        for (content, token) in zip(shownContents, file.addedTokens) {
            strings[Int(token.id)] = String(decoding: content, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        var starts = [0]
        starts.reserveCapacity(strings.count + 1)
        for string in strings {
            if let string { bytes += ByteLevelAlphabet.decode(string) ?? Array(string.utf8) }
            starts.append(bytes.count)
        }
        tokenBytes = bytes
        tokenByteStarts = starts
    }

    /// Loads `tokenizer.json` from a Hugging Face model directory.
    public convenience init(modelDirectory: URL) throws {
        try self.init(contentsOf: modelDirectory.appendingPathComponent("tokenizer.json"))
    }

    /// Number of distinct tokens: the model's vocabulary plus the added tokens it lacks.
    public var vocabularySize: Int { vocabulary.count }

    /// The id of a token as the vocabulary spells it (byte-level characters, e.g. "Ġthe") or of an added token.
    public func id(of token: String) -> Int32? { vocabulary[token] }

    /// The ids of `text`, as HF `tokenizer.encode(text).ids` (post-processor tokens included).
    public func encode(_ text: String) -> [Int32] {
        var ids = postProcessor.prefix
        ids.reserveCapacity(text.utf8.count / 3 + postProcessor.prefix.count + postProcessor.suffix.count)
        var text = text
        text.withUTF8 { bytes in
            rawAddedTokens.split(bytes) { segment in
                switch segment {
                case .token(let id): ids.append(id)
                case .text(let range): encodeRaw(UnsafeBufferPointer(rebasing: bytes[range]), into: &ids)
                }
            }
        }
        ids += postProcessor.suffix
        return ids
    }

    /// The text of `ids`: their bytes concatenated and read as UTF-8, each invalid sequence shown as U+FFFD, as
    /// HF `decode(ids, skip_special_tokens=False)` with a ByteLevel decoder. Unknown ids are skipped.
    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes += pieceBytes(id) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Tokens shown side by side (a context window), one string each, joining to `decode(ids)`: a character whose
    /// bytes are split across tokens goes whole to the token holding its last byte (the others show less, or ""),
    /// where decoding each token alone shows U+FFFD pieces. Bytes that complete no character (cut by the window's
    /// edges, or invalid) become one U+FFFD per maximal subpart, as in `decode`.
    public func displayPieces(_ ids: [Int32]) -> [String] {
        var bytes: [UInt8] = []
        var tokenOfByte: [Int] = []
        for (index, id) in ids.enumerated() {
            let piece = pieceBytes(id)
            bytes += piece
            tokenOfByte += repeatElement(index, count: piece.count)
        }
        var pieces = [String](repeating: "", count: ids.count)
        var start = 0
        while start < bytes.count {
            let (length, isCharacter) = Self.utf8Sequence(bytes, at: start)
            let owner = tokenOfByte[start + length - 1]
            if isCharacter {
                pieces[owner] += String(decoding: bytes[start..<(start + length)], as: UTF8.self)
            } else {
                pieces[owner].unicodeScalars.append("\u{FFFD}")
            }
            start += length
        }
        return pieces
    }

    /// The UTF-8 sequence at `start`: a whole character, or else its maximal well-formed prefix (at least one byte),
    /// which decoders replace by one U+FFFD (Unicode's "maximal subpart" practice, which Swift's decoder follows).
    private static func utf8Sequence(_ bytes: [UInt8], at start: Int) -> (length: Int, isCharacter: Bool) {
        let lead = bytes[start]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF  // RFC 3629's table
        switch lead {
        case 0x00...0x7F: return (1, true)
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; second = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; second = 0x80...0x9F
        case 0xF0: length = 4; second = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; second = 0x80...0x8F
        default: return (1, false)
        }
        var valid = 1
        while valid < length, start + valid < bytes.count,
              (valid == 1 ? second : 0x80...0xBF).contains(bytes[start + valid]) {
            valid += 1
        }
        return (valid, valid == length)
    }

    private func pieceBytes(_ id: Int32) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) + 1 < tokenByteStarts.count else { return [] }
        return tokenBytes[tokenByteStarts[Int(id)]..<tokenByteStarts[Int(id) + 1]]
    }

    private func encodeRaw(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        if let normalized = Normalizer.apply(normalizers, to: text) {
            normalized.withUnsafeBufferPointer { encodeNormalized($0, into: &ids) }
        } else {
            encodeNormalized(text, into: &ids)
        }
    }

    private func encodeNormalized(_ text: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        if normalizedAddedTokens.isEmpty {
            preTokenizer.forEachWord(in: text) { encodeWord($0, into: &ids) }
            return
        }
        normalizedAddedTokens.split(text) { segment in
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let range):
                preTokenizer.forEachWord(in: UnsafeBufferPointer(rebasing: text[range])) { encodeWord($0, into: &ids) }
            }
        }
    }

    private func encodeWord(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        guard word.count <= WordCache.maxWordBytes else {
            model.encode(word, into: &ids)
            return
        }
        let hash = WordCache.hash(word)
        if cache.lookup(word, hash: hash, into: &ids) { return }
        let start = ids.count
        model.encode(word, into: &ids)
        cache.insert(word, hash: hash, ids: ids[start...])
    }
}
