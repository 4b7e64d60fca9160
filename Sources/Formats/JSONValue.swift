import Foundation

/// A parsed JSON document that keeps integers, fractions and booleans apart, unlike `JSONSerialization`'s `NSNumber`.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `data` as one JSON value; throws `JSONSyntaxError` when it is not valid JSON.
    public init(parsing data: Data) throws(JSONSyntaxError) {
        self = try Self.parse(data, verbatimObjectAt: nil).document
    }

    /// Parses `data`, the contents of `url`: invalid JSON is an `InputError` naming the file and where the problem
    /// is (`malformed JSON (line 3, column 7: expected ',' or '}' in an object)`). The one entry point of the JSON
    /// readers.
    public init(parsing data: Data, url: URL) throws(InputError) {
        self = try Self.parse(data, url: url, verbatimObjectAt: nil).document
    }

    /// Parses `data` like `init(parsing:url:)` and hands back the object at `path` (keys from the root) as its
    /// members in file order, each key as its exact UTF-8, or nil when there is no object at `path`. In `document`
    /// that object is empty. For maps whose keys must stay byte-exact (a tokenizer vocabulary: `String` equality
    /// would merge canonically equivalent keys such as "é" and "e\u{301}").
    public static func parse(
        _ data: Data, url: URL, verbatimObjectAt path: [String]?
    ) throws(InputError) -> (document: JSONValue, verbatim: [(key: [UInt8], value: JSONValue)]?) {
        do {
            return try parse(data, verbatimObjectAt: path)
        } catch {
            throw InputError("malformed JSON (\(error))", url: url)
        }
    }

    private static func parse(
        _ data: Data, verbatimObjectAt path: [String]?
    ) throws(JSONSyntaxError) -> (document: JSONValue, verbatim: [(key: [UInt8], value: JSONValue)]?) {
        let result: Result<(JSONValue, [(key: [UInt8], value: JSONValue)]?), JSONParser.Failure> = data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self), verbatimPath: path)
            return Result { () throws(JSONParser.Failure) in (try parser.parseDocument(), parser.verbatimMembers) }
        }
        switch result {
        case .success(let value): return value
        case .failure(let failure): throw JSONSyntaxError(failure, in: data)
        }
    }

    /// A short description of the value's kind and content, for error messages: `the string "abc"`, `a list`.
    public var summary: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        case .string(let value): value.count <= 40 ? "\"\(value)\"" : "\"\(value.prefix(40))…\""
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// The integers in an array of JSON integers, or nil if this is not one.
    var integerArray: [Int]? {
        guard case .array(let items) = self else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard case .int(let value) = item else { return nil }
            result.append(value)
        }
        return result
    }
}

extension JSONValue: Decodable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

extension JSONValue: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
