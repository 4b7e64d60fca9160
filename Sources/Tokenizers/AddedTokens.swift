/// An entry of tokenizer.json's `added_tokens`.
struct AddedToken {
    var id: Int32
    var content: String
    var singleWord = false
    var leftStrip = false
    var rightStrip = false
    var normalized = false
    var special = false
}

/// Finds added tokens in a text before it is pre-tokenized, as HF's `AddedVocabulary::find_matches`: leftmost-longest
/// matches, a `single_word` token only between non-word characters, `lstrip`/`rstrip` taking the whitespace beside
/// the token into it.
struct AddedTokenMatcher {
    private struct Pattern {
        var bytes: [UInt8]
        var token: AddedToken
    }

    /// Patterns by first byte, longest first.
    private var byFirstByte: [[Pattern]] = Array(repeating: [], count: 256)
    /// Stored: it is asked once per text.
    private(set) var isEmpty = true

    /// `patterns`: each token with the text to look for (its content, normalized when the token is).
    init(_ patterns: [(text: [UInt8], token: AddedToken)]) {
        for (text, token) in patterns where !text.isEmpty {
            byFirstByte[Int(text[0])].append(Pattern(bytes: text, token: token))
            isEmpty = false
        }
        for index in byFirstByte.indices { byFirstByte[index].sort { $0.bytes.count > $1.bytes.count } }
    }

    enum Segment {
        case text(Range<Int>)
        case token(Int32)
    }

    /// Calls `body` with the (non-empty) text between tokens and with each token found, in order.
    func split(_ text: UnsafeBufferPointer<UInt8>, _ body: (Segment) -> Void) {
        var textStart = 0
        var position = 0
        while position < text.count {
            let candidates = byFirstByte[Int(text[position])]
            guard !candidates.isEmpty, let pattern = candidates.first(where: { matches($0.bytes, text, at: position) }) else {
                position += 1
                continue
            }
            var start = position
            var end = position + pattern.bytes.count
            position = end
            let token = pattern.token
            if token.singleWord {
                let wordBefore = start > 0 && isWordScalar(lastScalar(text, before: start))
                let wordAfter = end < text.count && isWordScalar(decodeScalar(text, at: end).value)
                if wordBefore || wordAfter { continue }
            }
            if token.leftStrip {
                while start > textStart {
                    let previous = previousScalarStart(text, before: start)
                    guard ScalarClass.of(decodeScalar(text, at: previous).value).contains(.whitespace) else { break }
                    start = previous
                }
            }
            if token.rightStrip {
                while end < text.count {
                    let (value, length) = decodeScalar(text, at: end)
                    guard ScalarClass.of(value).contains(.whitespace) else { break }
                    end += length
                }
                position = end
            }
            if textStart < start { body(.text(textStart..<start)) }
            body(.token(token.id))
            textStart = end
        }
        if textStart < text.count { body(.text(textStart..<text.count)) }
    }

    private func matches(_ pattern: [UInt8], _ text: UnsafeBufferPointer<UInt8>, at position: Int) -> Bool {
        guard position + pattern.count <= text.count else { return false }
        for offset in pattern.indices where pattern[offset] != text[position + offset] { return false }
        return true
    }

    private func previousScalarStart(_ text: UnsafeBufferPointer<UInt8>, before index: Int) -> Int {
        var start = index - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }

    private func lastScalar(_ text: UnsafeBufferPointer<UInt8>, before index: Int) -> UInt32 {
        decodeScalar(text, at: previousScalarStart(text, before: index)).value
    }

    /// Rust regex's Unicode `\w`: alphabetic, marks, decimal digits, connector punctuation, joiners.
    private func isWordScalar(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
