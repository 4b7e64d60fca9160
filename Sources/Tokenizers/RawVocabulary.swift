import Foundation

/// `model.vocab` read straight from the tokenizer.json bytes, each token as its exact UTF-8. Foundation's JSON
/// objects key by String, and String equality is canonical equivalence, so they would merge tokens such as "é" and
/// "e\u{301}" that SentencePiece vocabularies keep as two ids.
struct RawVocabulary {
    private let bytes: [UInt8]
    private var position = 0

    /// The vocabulary's entries (token bytes, id as a JSON number or nil when not a plain integer), or nil when the
    /// file does not have the shape `{"model": {"vocab": {...}}}` (the caller reports what is wrong).
    static func entries(in data: Data) -> [(token: [UInt8], id: Int64?)]? {
        var scanner = RawVocabulary(bytes: [UInt8](data))
        guard scanner.enterObjectMember("model"), scanner.enterObjectMember("vocab") else { return nil }
        return scanner.objectEntries()
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) -> Bool {
        skipSpace()
        guard current == byte else { return false }
        position += 1
        return true
    }

    /// Moves into the value of `key` of the object that starts here; false when there is none.
    private mutating func enterObjectMember(_ key: String) -> Bool {
        guard expect(UInt8(ascii: "{")) else { return false }
        let wanted = Array(key.utf8)
        while true {
            guard let name = string(), expect(UInt8(ascii: ":")) else { return false }
            if name == wanted { return true }
            guard skipValue() else { return false }
            if !expect(UInt8(ascii: ",")) { return false }
        }
    }

    private mutating func objectEntries() -> [(token: [UInt8], id: Int64?)]? {
        guard expect(UInt8(ascii: "{")) else { return nil }
        var entries: [(token: [UInt8], id: Int64?)] = []
        if expect(UInt8(ascii: "}")) { return entries }
        repeat {
            guard let token = string(), expect(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            let start = position
            guard skipValue() else { return nil }
            entries.append((token, integer(bytes[start..<position])))
        } while expect(UInt8(ascii: ","))
        return expect(UInt8(ascii: "}")) ? entries : nil
    }

    /// A JSON string's UTF-8, escapes resolved (a lone surrogate escape becomes U+FFFD, as JSON decoders do).
    private mutating func string() -> [UInt8]? {
        guard expect(UInt8(ascii: "\"")) else { return nil }
        var result: [UInt8] = []
        while let byte = current {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard let escaped = current else { return nil }
                position += 1
                switch escaped {
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"):
                    guard var value = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(value), bytes[position...].starts(with: Array("\\u".utf8)) {
                        position += 2
                        guard let low = hex4() else { return nil }
                        if (0xDC00..<0xE000).contains(low) {
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            result += Array("\u{FFFD}".utf8)
                            value = low
                        }
                    }
                    result += Array(String(Unicode.Scalar(value) ?? "\u{FFFD}").utf8)
                default: result.append(escaped)
                }
            default:
                result.append(byte)
            }
        }
        return nil
    }

    /// A JSON number that is a plain integer (digits, an optional minus), else nil.
    private func integer(_ text: ArraySlice<UInt8>) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        let digits = text.dropFirst(negative ? 1 : 0)
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value: Int64 = 0
        for digit in digits {
            guard digit >= 0x30 && digit <= 0x39 else { return nil }
            value = value * 10 + Int64(digit - 0x30)
        }
        return negative ? -value : value
    }

    private mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            return nil
        }
        position += 4
        return value
    }

    /// Skips one value (its syntax is checked only as far as finding its end).
    private mutating func skipValue() -> Bool {
        skipSpace()
        guard let byte = current else { return false }
        switch byte {
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            position += 1
            if expect(close) { return true }
            repeat {
                if byte == UInt8(ascii: "{") {
                    guard string() != nil, expect(UInt8(ascii: ":")) else { return false }
                }
                guard skipValue() else { return false }
            } while expect(UInt8(ascii: ","))
            return expect(close)
        default:
            let start = position
            while let next = current, !",}] \n\r\t".utf8.contains(next) { position += 1 }
            return position > start
        }
    }
}
