import Formats
import Foundation

/// A JSON document whose objects keep their key order, written the way the seed's files look (`indent=2`) or on
/// one line (JSONL). Non-finite numbers are written as `null`, so every file is valid JSON.
public indirect enum OrderedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// A float32 value, written with the shortest digits that round-trip it as float32.
    case float(Float)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool { a.compact == b.compact }

    /// `value` or `null`.
    public static func number(_ value: Double?) -> OrderedJSON { value.map(OrderedJSON.double) ?? .null }

    /// Converts any `Encodable` (keys sorted, since Codable does not keep an order); non-finite numbers → null.
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "\u{1}inf", negativeInfinity: "\u{1}-inf", nan: "\u{1}nan")
        self.init(try JSONValue(parsing: try encoder.encode(value)))
    }

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = s.hasPrefix("\u{1}") ? .null : .string(s)
        case .array(let items): self = .array(items.map(OrderedJSON.init))
        case .object(let members): self = .object(members.sorted { $0.key < $1.key }.map { ($0.key, OrderedJSON($0.value)) })
        }
    }

    /// The value of `key` in an object.
    public subscript(key: String) -> OrderedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// The number held, if any.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d.isFinite ? d : nil
        case .float(let f): f.isFinite ? Double(f) : nil
        default: nil
        }
    }

    /// Adds or replaces `key` in an object.
    public mutating func set(_ key: String, _ value: OrderedJSON) {
        guard case .object(var members) = self else { preconditionFailure("not an object") }
        if let index = members.firstIndex(where: { $0.0 == key }) { members[index].1 = value } else { members.append((key, value)) }
        self = .object(members)
    }

    /// One line, no spaces (for JSONL).
    public var compact: String {
        var out: [UInt8] = []
        write(to: &out, indent: nil, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Indented by two spaces per level, like Python's `json.dump(indent=2)`.
    public var pretty: String {
        var out: [UInt8] = []
        write(to: &out, indent: 2, depth: 0)
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact UTF-8 encoding to `out` (the fast path for large JSONL files).
    public func appendCompact(to out: inout [UInt8]) { write(to: &out, indent: nil, depth: 0) }

    private func write(to out: inout [UInt8], indent: Int?, depth: Int) {
        func newline(_ level: Int) {
            guard let indent else { return }
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
        }
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: (d.isFinite ? Self.format(d) : "null").utf8)
        case .float(let f): out.append(contentsOf: (f.isFinite ? Self.format(f) : "null").utf8)
        case .string(let s): Self.escape(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                item.write(to: &out, indent: indent, depth: depth + 1)
            }
            newline(depth)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                Self.escape(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                value.write(to: &out, indent: indent, depth: depth + 1)
            }
            newline(depth)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Swift's shortest round-trip digits; integral values keep a `.0` so readers see a float.
    private static func format<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> String {
        value.description
    }

    private static func escape(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            // Runs of bytes that need no escape (most of any text) are copied whole.
            var runStart = 0
            for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hex[Int(byte >> 4)], hex[Int(byte & 15)],
                    ])
                }
            }
            // UTF-8 bytes of other scalars pass through unchanged.
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
