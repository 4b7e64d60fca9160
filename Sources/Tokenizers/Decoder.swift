/// One step of tokenizer.json's `decoder`: HF's `decode_chain`, which maps the list of token strings to a new list.
enum DecoderStep: Equatable {
    /// Byte-level characters back to bytes, all tokens fused into one text read as UTF-8 (U+FFFD per maximal
    /// invalid subpart).
    case byteLevel
    /// Each literal occurrence of `pattern` in each token becomes `content`.
    case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
    /// Runs of `<0xNN>` tokens become the text their bytes spell, or one U+FFFD per byte when not valid UTF-8.
    case byteFallback
    /// All tokens joined into one.
    case fuse
    /// Up to `start` leading and `stop` trailing `content` characters removed from each token.
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    /// The replacement becomes a space, except in the first token when the pre-tokenizer prepends it (then it goes).
    case metaspace(replacement: Unicode.Scalar, dropsFirst: Bool)
}

/// The decoder chain, which also remembers which token each output character came from, so that a context window
/// can show one string per token that joins to the decoded text.
struct Decoder {
    /// nil: the file has no decoder, and HF joins the token strings with spaces.
    var steps: [DecoderStep]?

    /// A token string of the chain with, for each of its scalars, the index of the token it came from.
    struct Chunk {
        var scalars: [Unicode.Scalar] = []
        var owners: [Int] = []

        mutating func append(_ scalar: Unicode.Scalar, _ owner: Int) {
            scalars.append(scalar)
            owners.append(owner)
        }
    }

    /// The decoded text of `tokens` (nil entries are ids with no token, skipped), as one chunk.
    func decode(_ tokens: [String?]) -> Chunk {
        var chunks: [Chunk] = []
        for (index, token) in tokens.enumerated() {
            guard let token else { continue }
            var chunk = Chunk()
            for scalar in token.unicodeScalars { chunk.append(scalar, index) }
            chunks.append(chunk)
        }
        guard let steps else {
            var joined = Chunk()
            for (position, chunk) in chunks.enumerated() {
                if position > 0, let owner = chunk.owners.first ?? joined.owners.last { joined.append(" ", owner) }
                joined.scalars += chunk.scalars
                joined.owners += chunk.owners
            }
            return joined
        }
        for step in steps { chunks = Self.apply(step, chunks) }
        return chunks.reduce(into: Chunk()) { result, chunk in
            result.scalars += chunk.scalars
            result.owners += chunk.owners
        }
    }

    private static func apply(_ step: DecoderStep, _ chunks: [Chunk]) -> [Chunk] {
        switch step {
        case .byteLevel:
            var bytes: [UInt8] = []
            var owners: [Int] = []
            for chunk in chunks {
                let mapped = chunk.scalars.map { ByteLevelAlphabet.bytes[$0] }
                if !mapped.contains(nil) {
                    bytes += mapped.map { $0! }
                    owners += chunk.owners
                } else {
                    for (scalar, owner) in zip(chunk.scalars, chunk.owners) {
                        let utf8 = Array(String(scalar).utf8)
                        bytes += utf8
                        owners += repeatElement(owner, count: utf8.count)
                    }
                }
            }
            return [utf8Lossy(bytes, owners)]
        case .replace(let pattern, let content):
            return chunks.map { replace(pattern, content, in: $0) }
        case .byteFallback:
            return byteFallback(chunks)
        case .fuse:
            return [
                chunks.reduce(into: Chunk()) {
                    $0.scalars += $1.scalars; $0.owners += $1.owners
                }
            ]
        case .strip(let content, let start, let stop):
            return chunks.map { chunk in
                var lower = 0
                while lower < min(start, chunk.scalars.count) && chunk.scalars[lower] == content { lower += 1 }
                var upper = chunk.scalars.count
                while chunk.scalars.count - upper < stop && upper > lower && chunk.scalars[upper - 1] == content { upper -= 1 }
                return Chunk(scalars: Array(chunk.scalars[lower..<upper]), owners: Array(chunk.owners[lower..<upper]))
            }
        case .metaspace(let replacement, let dropsFirst):
            return chunks.enumerated().map { position, chunk in
                var result = Chunk()
                for (scalar, owner) in zip(chunk.scalars, chunk.owners) {
                    if scalar != replacement {
                        result.append(scalar, owner)
                    } else if !(position == 0 && dropsFirst) {
                        result.append(" ", owner)
                    }
                }
                return result
            }
        }
    }

    private static func replace(_ pattern: [Unicode.Scalar], _ content: [Unicode.Scalar], in chunk: Chunk) -> Chunk {
        guard !pattern.isEmpty else { return chunk }
        var result = Chunk()
        var index = 0
        let scalars = chunk.scalars
        while index < scalars.count {
            if index + pattern.count <= scalars.count && scalars[index..<index + pattern.count].elementsEqual(pattern) {
                for scalar in content { result.append(scalar, chunk.owners[index]) }
                index += pattern.count
            } else {
                result.append(scalars[index], chunk.owners[index])
                index += 1
            }
        }
        return result
    }

    /// HF's ByteFallback: a token spelled exactly `<0xNN>` (6 bytes, two hex digits) is a byte.
    static func fallbackByte(_ chunk: Chunk) -> UInt8? {
        let scalars = chunk.scalars
        guard scalars.count == 6, scalars[0] == "<", scalars[1] == "0", scalars[2] == "x", scalars[5] == ">" else { return nil }
        return UInt8(String(String.UnicodeScalarView(scalars[3...4])), radix: 16)
    }

    private static func byteFallback(_ chunks: [Chunk]) -> [Chunk] {
        var result: [Chunk] = []
        var bytes: [UInt8] = []
        var owners: [Int] = []
        func flush() {
            guard !bytes.isEmpty else { return }
            if isValidUTF8(bytes) {
                result.append(utf8Lossy(bytes, owners))
            } else {
                for owner in owners { result.append(Chunk(scalars: ["\u{FFFD}"], owners: [owner])) }
            }
            bytes = []
            owners = []
        }
        for chunk in chunks {
            if let byte = fallbackByte(chunk) {
                bytes.append(byte)
                owners.append(chunk.owners[0])
            } else {
                flush()
                result.append(chunk)
            }
        }
        flush()
        return result
    }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var start = 0
        while start < bytes.count {
            let (length, isCharacter) = utf8Sequence(bytes, at: start)
            guard isCharacter else { return false }
            start += length
        }
        return true
    }

    /// `bytes` read as UTF-8, each character owned by the token of its last byte, each maximal invalid subpart
    /// one U+FFFD (as Rust's `from_utf8_lossy` and Swift's decoder).
    static func utf8Lossy(_ bytes: [UInt8], _ owners: [Int]) -> Chunk {
        var chunk = Chunk()
        var start = 0
        while start < bytes.count {
            let (length, isCharacter) = utf8Sequence(bytes, at: start)
            let owner = owners[start + length - 1]
            if isCharacter {
                for scalar in String(decoding: bytes[start..<(start + length)], as: UTF8.self).unicodeScalars {
                    chunk.append(scalar, owner)
                }
            } else {
                chunk.append("\u{FFFD}", owner)
            }
            start += length
        }
        return chunk
    }

    /// The UTF-8 sequence at `start`: a whole character, or else its maximal well-formed prefix (at least one byte),
    /// which decoders replace by one U+FFFD (Unicode's "maximal subpart" practice, which Swift's decoder follows).
    static func utf8Sequence(_ bytes: [UInt8], at start: Int) -> (length: Int, isCharacter: Bool) {
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
            (valid == 1 ? second : 0x80...0xBF).contains(bytes[start + valid])
        {
            valid += 1
        }
        return (valid, valid == length)
    }
}
