import Foundation

/// The byte-level JSON reader behind `JSONValue(parsing:)` (RFC 8259, strict: no comments, no trailing commas,
/// strings must be valid UTF-8). It reads a 12 MB tokenizer.json in a fraction of the time `JSONDecoder` takes, and
/// it can hand back one object's members verbatim, in file order with their exact UTF-8 keys: Swift dictionaries key
/// by `String`, whose equality is canonical equivalence, so they would merge "é" and "e\u{301}", two distinct tokens
/// of a SentencePiece vocabulary.
///
/// Every read is checked against the buffer's end; nesting is limited so a hostile file cannot exhaust the stack.
struct JSONParser {
    /// A problem at a byte offset; `JSONValue` turns it into a line and column.
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    private var depth = 0
    /// The object to keep verbatim (a path of keys from the root) and, once read, its members.
    private let verbatimPath: [[UInt8]]?
    private(set) var verbatimMembers: [(key: [UInt8], value: JSONValue)]?

    init(bytes: UnsafeBufferPointer<UInt8>, verbatimPath: [String]? = nil) {
        self.bytes = bytes
        self.verbatimPath = verbatimPath.map { $0.map { Array($0.utf8) } }
        // A UTF-8 byte order mark is tolerated, as Foundation does.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    /// The one value the buffer holds, with nothing but whitespace after it.
    mutating func parseDocument() throws(Failure) -> JSONValue {
        let value = try parseValue(path: [])
        skipWhitespace()
        guard position == bytes.count else { throw failure("unexpected text after the JSON value") }
        return value
    }

    // MARK: Values

    private mutating func parseValue(path: [[UInt8]]?) throws(Failure) -> JSONValue {
        skipWhitespace()
        guard let byte = peek() else { throw failure("unexpected end of data") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character '\(JSONScalars.shown(byte))'")
        }
    }

    private mutating func enterContainer() throws(Failure) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth) levels") }
        position += 1
    }

    /// `path` is the key path from the root while it can still lead to the verbatim object, else nil.
    private mutating func parseObject(path: [[UInt8]]?) throws(Failure) -> JSONValue {
        try enterContainer()
        let keepVerbatim = path != nil && path == verbatimPath
        var members: [String: JSONValue] = [:]
        var verbatim: [(key: [UInt8], value: JSONValue)] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let keyStart = position
                let keyBytes = try parseStringBytes()
                try expect(UInt8(ascii: ":"), "expected ':' after an object key")
                let childPath = path.flatMap { path -> [[UInt8]]? in
                    guard let target = verbatimPath, path.count < target.count, target[path.count] == keyBytes else { return nil }
                    return path + [keyBytes]
                }
                let value = try parseValue(path: childPath)
                if keepVerbatim {
                    _ = try string(keyBytes, at: keyStart)  // validated, kept as bytes
                    verbatim.append((keyBytes, value))
                } else {
                    members[try string(keyBytes, at: keyStart)] = value
                }
                skipWhitespace()
                guard let next = peek() else { throw failure("unexpected end of data in an object") }
                position += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw failure("expected ',' or '}' in an object", at: position - 1) }
            }
        }
        depth -= 1
        if keepVerbatim {
            verbatimMembers = verbatim
            return .object([:])
        }
        return .object(members)
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        try enterContainer()
        var items: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
        } else {
            while true {
                items.append(try parseValue(path: nil))
                skipWhitespace()
                guard let next = peek() else { throw failure("unexpected end of data in a list") }
                position += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { throw failure("expected ',' or ']' in a list", at: position - 1) }
            }
        }
        depth -= 1
        return .array(items)
    }

    /// An integer when the number has no fraction or exponent and fits in `Int`, else a `Double`.
    private mutating func parseNumber() throws(Failure) -> JSONValue {
        do {
            switch try JSONScalars.number(bytes, at: &position) {
            case .int(let value): return .int(value)
            case .double(let value): return .double(value)
            }
        } catch {
            throw Failure(message: error.message, offset: error.offset)
        }
    }

    // MARK: Strings

    private mutating func parseString() throws(Failure) -> String {
        let start = position
        let utf8 = try parseStringBytes()
        return try string(utf8, at: start)
    }

    /// The validated text of the UTF-8 of the string that starts at `offset`.
    private func string(_ utf8: [UInt8], at offset: Int) throws(Failure) -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw failure("a string is not valid UTF-8", at: offset)
        }
        return text
    }

    /// A string's UTF-8 with its escapes resolved; the caller validates it. A lone surrogate escape becomes U+FFFD,
    /// as Foundation's decoders do.
    private mutating func parseStringBytes() throws(Failure) -> [UInt8] {
        position += 1  // the opening quote
        do { return try JSONScalars.stringBody(bytes, at: &position) } catch {
            throw Failure(message: error.message, offset: error.offset)
        }
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

    private mutating func expect(_ byte: UInt8, _ message: String) throws(Failure) {
        skipWhitespace()
        guard peek() == byte else { throw failure(message) }
        position += 1
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let utf8 = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard position + utf8.count <= bytes.count, bytes[position..<position + utf8.count].elementsEqual(utf8) else {
            throw failure("unexpected character '\(JSONScalars.shown(bytes[position]))'")
        }
        position += utf8.count
    }

    private func failure(_ message: String, at offset: Int? = nil) -> Failure {
        Failure(message: message, offset: offset ?? position)
    }
}
