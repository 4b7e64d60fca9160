import Foundation

/// The scalar grammar of both byte-level JSON readers (this module's `JSONParser` and SiteGen's `JSONByteReader`,
/// which must read exactly the same values): numbers and string bodies, read from a buffer at a position, with what
/// went wrong and where.
package enum JSONScalars {
    /// What is malformed, and the byte offset a message should point at.
    package struct Problem: Error {
        package var message: String
        package var offset: Int
    }

    package enum Number: Equatable {
        case int(Int)
        case double(Double)
    }

    /// The number at `position` (RFC 8259: no leading zeros, digits after a point and in an exponent), moving
    /// `position` past it: an integer when it has no fraction or exponent and fits in `Int`, else a `Double`.
    @inlinable @inline(__always)
    package static func number(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws(Problem) -> Number {
        let start = position
        func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }
        func skipDigits() { while let byte = peek(), isDigit(byte) { position += 1 } }
        func malformed(_ detail: String = "") -> Problem { Problem(message: "malformed number\(detail)", offset: start) }
        if peek() == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), isDigit(first) else { throw malformed() }
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = peek(), isDigit(next) { throw malformed(" (leading zero)") }
        } else {
            skipDigits()
        }
        var integral = true
        if peek() == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard let digit = peek(), isDigit(digit) else { throw malformed() }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            integral = false
            position += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { position += 1 }
            guard let digit = peek(), isDigit(digit) else { throw malformed() }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw malformed() }
        return .double(value)
    }

    /// The string whose opening quote is at `position - 1`, moving `position` past its closing quote: its UTF-8 with
    /// the escapes resolved, not yet validated (a lone surrogate escape becomes U+FFFD, as Foundation's decoders do).
    @inlinable
    package static func stringBody(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws(Problem) -> [UInt8] {
        let start = position - 1
        // No escapes up to the first quote, backslash or control byte: copied in one piece.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        var result = Array(UnsafeBufferPointer(rebasing: bytes[position..<end]))
        position = end
        while true {
            guard position < bytes.count else { throw Problem(message: "unterminated string", offset: start) }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw Problem(message: "unterminated string", offset: start) }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escaped)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"): result += try unicodeEscape(bytes, at: &position)
                default: throw Problem(message: "invalid escape '\\\(shown(escaped))' in a string", offset: position - 2)
                }
            case 0..<0x20:
                throw Problem(message: "unescaped control character in a string", offset: position - 1)
            default:
                result.append(byte)
            }
        }
    }

    /// The UTF-8 of a `\uXXXX` escape (the `\u` before `position`), joining a surrogate pair.
    @usableFromInline
    static func unicodeEscape(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws(Problem) -> [UInt8] {
        let high = try hex4(bytes, at: &position)
        var scalar = high
        var prefix: [UInt8] = []
        if (0xD800..<0xDC00).contains(high) {
            if position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                position += 2
                let low = try hex4(bytes, at: &position)
                if (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    prefix = Array("\u{FFFD}".utf8)
                    scalar = low
                }
            }
        }
        return prefix + Array(String(Unicode.Scalar(scalar) ?? "\u{FFFD}").utf8)
    }

    private static func hex4(_ bytes: UnsafeBufferPointer<UInt8>, at position: inout Int) throws(Problem) -> UInt32 {
        let escape = position - 2
        guard position + 4 <= bytes.count else { throw Problem(message: "truncated \\u escape", offset: escape) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Problem(message: "malformed \\u escape", offset: escape)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    @inlinable
    package static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// A byte as a readable character for a message: printable ASCII as itself, anything else as hex.
    @usableFromInline
    static func shown(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : String(format: "0x%02X", byte)
    }
}
