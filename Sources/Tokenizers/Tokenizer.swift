import Foundation

/// A Hugging Face `tokenizer.json` with a BPE model, byte-level (Qwen2/Qwen3, GPT-2, Pythia, Llama-3 style) or
/// SentencePiece-style with byte fallback (Gemma, Llama 2, Mistral), producing the same ids as the `tokenizers`
/// library's `encode(text).ids` and the same text as its `decode(ids)`.
///
/// Encoding runs: added tokens are cut out of the raw text; the rest is normalized (NFC, "▁" for spaces, …), cut
/// again at normalized added tokens, split into words by the pre-tokenizer, each word is merged by BPE, and the
/// post-processor adds its special tokens.
/// Thread-safe: any number of threads may encode at once (they share a locked word cache).
public final class Tokenizer: Sendable {
    private let normalizers: [Normalizer]
    private let rawAddedTokens: AddedTokenMatcher
    private let normalizedAddedTokens: AddedTokenMatcher
    private let preTokenizer: PreTokenizer
    private let model: BytePairModel
    private let postProcessor: PostProcessor
    private let postProcessorAddsTokens: Bool
    private let decoder: Decoder
    private let vocabulary: [TokenBytes: Int32]
    /// Each id's token string (nil for an id without one), what the decoder starts from.
    private let tokenStrings: [String?]
    /// With a lone ByteLevel decoder, decoding is concatenating bytes: those each id decodes to are
    /// `tokenBytes[tokenByteStarts[id]..<tokenByteStarts[id + 1]]` (else both are empty).
    private let tokenBytes: [UInt8]
    private let tokenByteStarts: [Int]
    /// With a lone ByteLevel decoder, each id's bytes as a String when they are whole UTF-8 characters (nil when they
    /// are not, e.g. one byte of a split character): such a token shows the same text beside any neighbours, so a
    /// window of them needs no decoding (`displayPieces`'s fast path; most windows of most corpora).
    private let wholePieces: [String?]
    private let cache = WordCache()
    /// The ids of the added tokens marked `special` (BOS, EOS, pad, chat markers...): what SAELens's evals and
    /// SAEBench leave out of their statistics.
    public let specialTokenIDs: Set<Int32>
    /// The special tokens the post-processor puts before a single text (Gemma's and Llama's `<bos>`; empty for
    /// byte-level post-processors).
    public let leadingSpecialTokens: [Int32]

    /// Loads a tokenizer.json file. Throws `InputError` when it is missing, malformed, or uses a part this
    /// implementation lacks (the message names the file and the part).
    public init(contentsOf url: URL) throws {
        let file = try TokenizerFile(contentsOf: url)
        normalizers = file.normalizers
        preTokenizer = file.preTokenizer
        model = file.model
        postProcessor = file.postProcessor
        postProcessorAddsTokens = !file.postProcessor.isIdentity
        specialTokenIDs = Set(file.addedTokens.filter(\.special).map(\.id))
        leadingSpecialTokens = file.postProcessor.leadingSpecialTokens
        decoder = file.decoder
        vocabulary = file.vocabulary
        // A normalized added token is looked for, and shown (as HF does), by its normalized content.
        let shownContents = file.addedTokens.map { token in
            let content = Array(token.content.utf8)
            guard token.normalized else { return content }
            return content.withUnsafeBufferPointer { Normalizer.apply(file.normalizers, to: $0) } ?? content
        }
        rawAddedTokens = AddedTokenMatcher(zip(shownContents, file.addedTokens).filter { !$1.normalized }.map { ($0, $1) })
        normalizedAddedTokens = AddedTokenMatcher(zip(shownContents, file.addedTokens).filter { $1.normalized }.map { ($0, $1) })

        // Every id's bytes: vocabulary entries and added tokens alike (two added tokens with the same content leave
        // only one id in the vocabulary, so the largest id may be an added token's).
        let largestID = max(file.vocabulary.values.max() ?? -1, file.addedTokens.map(\.id).max() ?? -1)
        var strings: [String?] = Array(repeating: nil, count: Int(largestID) + 1)
        for (token, id) in file.vocabulary { strings[Int(id)] = String(decoding: token.utf8, as: UTF8.self) }
        for (content, token) in zip(shownContents, file.addedTokens) {
            strings[Int(token.id)] = String(decoding: content, as: UTF8.self)
        }
        tokenStrings = strings
        // HF's ByteLevel decoder: a token goes back through the byte-level alphabet when it can, else it is its UTF-8.
        var bytes: [UInt8] = []
        var starts: [Int] = []
        if file.decoder.steps == [.byteLevel] {
            starts = [0]
            starts.reserveCapacity(strings.count + 1)
            for string in strings {
                if let string { bytes += ByteLevelAlphabet.decode(string) ?? Array(string.utf8) }
                starts.append(bytes.count)
            }
        }
        tokenBytes = bytes
        tokenByteStarts = starts
        wholePieces = starts.indices.dropLast().map { id in
            let piece = Array(bytes[starts[id]..<starts[id + 1]])
            var start = 0
            while start < piece.count {
                let (length, isCharacter) = Decoder.utf8Sequence(piece, at: start)
                guard isCharacter else { return nil }
                start += length
            }
            return String(decoding: piece, as: UTF8.self)
        }
    }

    /// Loads `tokenizer.json` from a Hugging Face model directory.
    public convenience init(modelDirectory: URL) throws {
        try self.init(contentsOf: modelDirectory.appendingPathComponent("tokenizer.json"))
    }

    /// Number of distinct tokens: the model's vocabulary plus the added tokens it lacks.
    public var vocabularySize: Int { vocabulary.count }

    /// The id of a token as the vocabulary spells it (byte-level characters, e.g. "Ġthe") or of an added token.
    public func id(of token: String) -> Int32? { vocabulary[TokenBytes(token)] }

    /// The ids of `text`, as HF `tokenizer.encode(text).ids` (post-processor tokens included).
    public func encode(_ text: String) -> [Int32] { encode(text, addSpecialTokens: true) }

    /// The ids of `text`, as HF `tokenizer.encode(text, add_special_tokens=...).ids`.
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int32] {
        let ids = encodeSequence(text)
        return addSpecialTokens && postProcessorAddsTokens ? postProcessor.apply(ids, nil) : ids
    }

    /// The ids of a pair of texts, as HF `tokenizer.encode(text, pair, add_special_tokens=...).ids`.
    public func encode(_ text: String, pair: String, addSpecialTokens: Bool = true) -> [Int32] {
        let first = encodeSequence(text), second = encodeSequence(pair)
        return addSpecialTokens ? postProcessor.apply(first, second) : first + second
    }

    /// The text of `ids`, as HF `decode(ids, skip_special_tokens=False)`: the decoder chain on their token strings
    /// (for byte-level tokenizers their bytes read as UTF-8, each invalid sequence shown as U+FFFD). Unknown ids
    /// are skipped.
    public func decode(_ ids: [Int32]) -> String {
        guard tokenByteStarts.isEmpty else {
            var bytes: [UInt8] = []
            for id in ids { bytes += pieceBytes(id) }
            return String(decoding: bytes, as: UTF8.self)
        }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: decoder.decode(ids.map(tokenString)).scalars)
        return String(text)
    }

    /// Tokens shown side by side (a context window), one string each, joining to `decode(ids)`: a character whose
    /// bytes are split across tokens goes whole to the token holding its last byte (the others show less, or ""),
    /// where decoding each token alone shows U+FFFD pieces. Bytes that complete no character (cut by the window's
    /// edges, or invalid) become one U+FFFD per maximal subpart, as in `decode`. With other decoders each character
    /// of the decoded text goes to the token it came from (what the decoder drops, such as a leading "▁", shows
    /// nowhere).
    public func displayPieces(_ ids: [Int32]) -> [String] {
        // A token of whole characters neither takes bytes from its neighbours nor gives them any: a lead byte before
        // it ends its maximal subpart, and a continuation byte after it starts a new one.
        if !wholePieces.isEmpty {
            var pieces: [String] = []
            pieces.reserveCapacity(ids.count)
            for id in ids {
                guard id >= 0, Int(id) < wholePieces.count, let piece = wholePieces[Int(id)] else { break }
                pieces.append(piece)
            }
            if pieces.count == ids.count { return pieces }
        }
        return decodedPieces(ids)
    }

    /// `displayPieces` by decoding the whole window (the general path).
    func decodedPieces(_ ids: [Int32]) -> [String] {
        var pieces = [String](repeating: "", count: ids.count)
        let chunk: Decoder.Chunk
        if tokenByteStarts.isEmpty {
            chunk = decoder.decode(ids.map(tokenString))
        } else {
            var bytes: [UInt8] = []
            var tokenOfByte: [Int] = []
            for (index, id) in ids.enumerated() {
                let piece = pieceBytes(id)
                bytes += piece
                tokenOfByte += repeatElement(index, count: piece.count)
            }
            chunk = Decoder.utf8Lossy(bytes, tokenOfByte)
        }
        for (scalar, owner) in zip(chunk.scalars, chunk.owners) { pieces[owner].unicodeScalars.append(scalar) }
        return pieces
    }

    private func pieceBytes(_ id: Int32) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) + 1 < tokenByteStarts.count else { return [] }
        return tokenBytes[tokenByteStarts[Int(id)]..<tokenByteStarts[Int(id) + 1]]
    }

    private func tokenString(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokenStrings.count ? tokenStrings[Int(id)] : nil
    }

    private func encodeSequence(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        var text = text
        text.withUTF8 { bytes in
            rawAddedTokens.split(bytes) { segment in
                switch segment {
                case .token(let id): ids.append(id)
                case .text(let range):
                    encodeRaw(UnsafeBufferPointer(rebasing: bytes[range]), atStart: range.lowerBound == 0, into: &ids)
                }
            }
        }
        return ids
    }

    /// `atStart`: the text begins the input (no added token before it).
    private func encodeRaw(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, into ids: inout [Int32]) {
        if let normalized = Normalizer.apply(normalizers, to: text) {
            normalized.withUnsafeBufferPointer { encodeNormalized($0, atStart: atStart, into: &ids) }
        } else {
            encodeNormalized(text, atStart: atStart, into: &ids)
        }
    }

    private func encodeNormalized(_ text: UnsafeBufferPointer<UInt8>, atStart: Bool, into ids: inout [Int32]) {
        if normalizedAddedTokens.isEmpty {
            preTokenizer.forEachWord(in: text, atStart: atStart) { encodeWord($0, into: &ids) }
            return
        }
        normalizedAddedTokens.split(text) { segment in
            switch segment {
            case .token(let id): ids.append(id)
            case .text(let range):
                preTokenizer.forEachWord(in: UnsafeBufferPointer(rebasing: text[range]), atStart: atStart && range.lowerBound == 0) {
                    encodeWord($0, into: &ids)
                }
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
