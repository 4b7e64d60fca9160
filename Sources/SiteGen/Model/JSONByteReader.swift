import Formats
import Foundation

/// A pull reader over the bytes of one JSON document, for decoding a known shape (`FeatureRecord(jsonLine:)`) without
/// building a `JSONValue` tree first: a feature record is a few thousand tokens and numbers, and the tree's
/// dictionaries, enum boxes and the generic `Decoder` walk over them were most of a site build's decoding time.
///
/// It reads exactly what Formats' `JSONParser` reads, with the same values: the same number grammar (an integer when
/// there is no fraction or exponent and it fits in `Int`, else `Double(text)`), the same string escapes (a lone
/// surrogate becomes U+FFFD) and UTF-8 validation, the same whitespace. Whatever it does not handle (an escaped
/// object key, a byte order mark, a value of an unexpected type) throws `Declined`, and the caller falls back to the
/// general path (`JSONFile.decode`), which then gives the answer or the error message.
struct JSONByteReader {
    /// The input is not read here; the caller decodes it the general way.
    struct Declined: Error {}

    /// Nesting limit, as `JSONParser.maximumDepth`.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Throws unless only whitespace is left.
    mutating func expectEnd() throws(Declined) {
        skipWhitespace()
        guard position == bytes.count else { throw Declined() }
    }

    // MARK: Containers

    /// Reads an object, handing each member's key to `member` with the reader at the member's value: `member` reads
    /// the value and returns true, or returns false for a key it does not know, whose value is then skipped.
    @inline(__always)
    mutating func forEachKey(_ member: (JSONKey, inout JSONByteReader) throws(Declined) -> Bool) throws(Declined) {
        try begin(UInt8(ascii: "{"))
        var first = true
        while let key = try nextKey(first: first) {
            first = false
            if try !member(JSONKey(key), &self) { try skipValue() }
        }
    }

    /// The next member's key (its raw bytes: escaped keys are declined) with the `:` read, or nil after the
    /// object's `}`. `first` is true for the first call on an object.
    private mutating func nextKey(first: Bool) throws(Declined) -> UnsafeBufferPointer<UInt8>? {
        guard try more(closing: UInt8(ascii: "}"), first: first) else { return nil }
        guard peek() == UInt8(ascii: "\"") else { throw Declined() }
        let start = position + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { throw Declined() }
        let key = UnsafeBufferPointer(rebasing: bytes[start..<end])
        // JSONParser validates every key as UTF-8; ASCII keys (all a record has) need no check.
        guard key.allSatisfy({ $0 < 0x80 }) || String(validating: key, as: UTF8.self) != nil else { throw Declined() }
        position = end + 1
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw Declined() }
        position += 1
        return key
    }

    /// Reads `[` (at depth + 1).
    mutating func beginArray() throws(Declined) { try begin(UInt8(ascii: "[")) }

    /// Whether the array has another element (the `,` before it read), false after the array's `]`.
    mutating func nextElement(first: Bool) throws(Declined) -> Bool { try more(closing: UInt8(ascii: "]"), first: first) }

    /// The elements of an array, each read by `element`.
    mutating func array<T>(_ element: (inout JSONByteReader) throws(Declined) -> T) throws(Declined) -> [T] {
        try beginArray()
        var result: [T] = []
        var first = true
        while try nextElement(first: first) {
            first = false
            result.append(try element(&self))
        }
        return result
    }

    private mutating func begin(_ opening: UInt8) throws(Declined) {
        skipWhitespace()
        guard peek() == opening else { throw Declined() }
        depth += 1
        guard depth <= Self.maximumDepth else { throw Declined() }
        position += 1
    }

    private mutating func more(closing: UInt8, first: Bool) throws(Declined) -> Bool {
        skipWhitespace()
        guard let byte = peek() else { throw Declined() }
        if byte == closing {
            // `{ }` / `[ ]`, or the end after an element; a `,` right before the closing bracket is not JSON.
            position += 1
            depth -= 1
            return false
        }
        if !first {
            guard byte == UInt8(ascii: ",") else { throw Declined() }
            position += 1
            skipWhitespace()
            guard let next = peek(), next != closing else { throw Declined() }
        }
        return true
    }

    // MARK: Leaves

    /// Reads `null` if it comes next.
    mutating func skipNull() -> Bool {
        skipWhitespace()
        guard position + 4 <= bytes.count, bytes[position] == UInt8(ascii: "n"), bytes[position + 1] == UInt8(ascii: "u"),
            bytes[position + 2] == UInt8(ascii: "l"), bytes[position + 3] == UInt8(ascii: "l")
        else { return false }
        position += 4
        return true
    }

    /// A number, as `JSONValueDecoder` reads a `Double`: an integer converted, or the fraction's `Double`.
    mutating func double() throws(Declined) -> Double {
        switch try number() {
        case .int(let value): return Double(value)
        case .double(let value): return value
        }
    }

    /// A number written as an integer that fits in `Int` (anything else is declined, as `JSONValueDecoder` does).
    mutating func int() throws(Declined) -> Int {
        guard case .int(let value) = try number() else { throw Declined() }
        return value
    }

    /// A number that may be `null` (nil).
    mutating func optionalDouble() throws(Declined) -> Double? { skipNull() ? nil : try double() }

    /// `JSONParser.parseNumber`'s grammar and conversion.
    private mutating func number() throws(Declined) -> JSONScalars.Number {
        skipWhitespace()
        do { return try JSONScalars.number(bytes, at: &position) } catch { throw Declined() }
    }

    /// A string, its escapes resolved and its UTF-8 validated as `JSONParser` does.
    mutating func string() throws(Declined) -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw Declined() }
        position += 1
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            // No escapes: validated straight from the input.
            let text = String(validating: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self)
            position = end + 1
            guard let text else { throw Declined() }
            return text
        }
        // Escapes: resolved as `JSONParser` resolves them.
        let result: [UInt8]
        do { result = try JSONScalars.stringBody(bytes, at: &position) } catch { throw Declined() }
        guard let text = String(validating: result, as: UTF8.self) else { throw Declined() }
        return text
    }

    /// Reads and drops one value of any kind (a member the record does not use), checking it as `JSONParser` would.
    mutating func skipValue() throws(Declined) {
        skipWhitespace()
        guard let byte = peek() else { throw Declined() }
        switch byte {
        case UInt8(ascii: "{"):
            try forEachKey { _, _ in false }
        case UInt8(ascii: "["):
            try beginArray()
            var first = true
            while try nextElement(first: first) {
                first = false
                try skipValue()
            }
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }

    private mutating func literal(_ text: StaticString) throws(Declined) {
        let utf8 = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        guard position + utf8.count <= bytes.count, bytes[position..<position + utf8.count].elementsEqual(utf8) else {
            throw Declined()
        }
        position += utf8.count
    }

    // MARK: Scanning

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

}

/// An object key's bytes, matched against the string literals of a `switch` without making a `String`.
struct JSONKey {
    let bytes: UnsafeBufferPointer<UInt8>
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func ~= (name: StaticString, key: JSONKey) -> Bool {
        name.utf8CodeUnitCount == key.bytes.count
            && (key.bytes.isEmpty || memcmp(name.utf8Start, key.bytes.baseAddress!, key.bytes.count) == 0)
    }
}
