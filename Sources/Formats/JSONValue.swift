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

    /// Parses `data` as one JSON value; throws `DecodingError` when it is not valid JSON.
    public init(parsing data: Data) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Parses `data`, the contents of `url`: invalid JSON is an `InputError` naming the file and, where Foundation
    /// says, where the problem is (`malformed JSON (… line 3, column 7 …)`). The one entry point of the JSON readers.
    public init(parsing data: Data, url: URL) throws {
        do {
            self = try JSONValue(parsing: data)
        } catch {
            throw InputError("malformed JSON\(Self.location(of: error))", url: url)
        }
    }

    /// ` (line 3, column 7)`-style detail from a decoding error when Foundation provides it.
    private static func location(of error: Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error,
            let underlying = context.underlyingError as NSError?,
            let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
        else { return "" }
        return " (\(detail))"
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
