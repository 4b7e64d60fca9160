import Formats

/// Decodes a `Decodable` from a parsed `JSONValue` (Formats' byte-level parser), the fast path of `JSONFile.decode`:
/// a feature record is one JSON line of a few thousand numbers and tokens, and Foundation's `JSONDecoder` spent most
/// of a site build's decoding time walking its arrays one element at a time. Arrays of numbers and strings are
/// converted here in one loop each.
///
/// It is strict where Foundation may be lenient (an integer must be written as one, a string must be a string): any
/// failure sends `JSONFile` back to Foundation's decoder, which gives the final answer and the error message, so the
/// errors thrown here carry no coding path.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONValueDecoder(value: value).decodeValue(type)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw Self.mismatch(type) }
        return KeyedDecodingContainer(Keyed<Key>(members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw Self.mismatch([JSONValue].self) }
        return Unkeyed(items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(value: value) }

    /// `T` from this value: the leaves and the arrays of leaves directly, anything else through its `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == Double.self { return unsafeBitCast(try Self.double(value), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try Self.int(value), to: T.self) }
        if T.self == String.self { return try Self.string(value) as! T }
        if T.self == [Double].self { return try Self.array(value, Self.double) as! T }
        if T.self == [Double?].self { return try Self.array(value) { $0 == .null ? nil : try Self.double($0) } as! T }
        if T.self == [String].self { return try Self.array(value, Self.string) as! T }
        if T.self == [Int].self { return try Self.array(value, Self.int) as! T }
        return try T(from: self)
    }

    // MARK: - Leaves

    static func double(_ value: JSONValue) throws -> Double {
        switch value {
        case .double(let number): return number
        case .int(let number): return Double(number)
        default: throw mismatch(Double.self)
        }
    }

    static func int(_ value: JSONValue) throws -> Int {
        guard case .int(let number) = value else { throw mismatch(Int.self) }
        return number
    }

    static func string(_ value: JSONValue) throws -> String {
        guard case .string(let text) = value else { throw mismatch(String.self) }
        return text
    }

    static func bool(_ value: JSONValue) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(Bool.self) }
        return flag
    }

    static func array<T>(_ value: JSONValue, _ element: (JSONValue) throws -> T) throws -> [T] {
        guard case .array(let items) = value else { throw mismatch([T].self) }
        var result: [T] = []
        result.reserveCapacity(items.count)
        for item in items { result.append(try element(item)) }
        return result
    }

    /// An integer type other than `Int`, when it holds the value exactly.
    static func integer<T: FixedWidthInteger>(_ value: JSONValue, as type: T.Type) throws -> T {
        guard let number = T(exactly: try int(value)) else { throw mismatch(type) }
        return number
    }

    static func mismatch(_ type: Any.Type) -> DecodingError {
        .typeMismatch(type, DecodingError.Context(codingPath: [], debugDescription: "not a \(type)"))
    }

    // MARK: - Containers

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        private func member(_ key: Key) throws -> JSONValue {
            guard let value = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: [], debugDescription: "missing"))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try JSONValueDecoder.bool(member(key)) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try JSONValueDecoder.string(member(key)) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try JSONValueDecoder.double(member(key)) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try JSONValueDecoder.double(member(key))) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try JSONValueDecoder.int(member(key)) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try JSONValueDecoder.integer(member(key), as: type) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try JSONValueDecoder(value: member(key)).decodeValue(type)
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONValueDecoder(value: member(key)).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try JSONValueDecoder(value: member(key)).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { JSONValueDecoder(value: members["super"] ?? .null) }
        func superDecoder(forKey key: Key) throws -> any Decoder { JSONValueDecoder(value: try member(key)) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [JSONValue]
        var currentIndex = 0
        var codingPath: [any CodingKey] { [] }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        init(items: [JSONValue]) { self.items = items }

        private mutating func next() throws -> JSONValue {
            guard currentIndex < items.count else {
                throw DecodingError.valueNotFound(
                    JSONValue.self, DecodingError.Context(codingPath: [], debugDescription: "past the end of the array"))
            }
            defer { currentIndex += 1 }
            return items[currentIndex]
        }

        mutating func decodeNil() throws -> Bool {
            guard currentIndex < items.count, items[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try JSONValueDecoder.bool(next()) }
        mutating func decode(_ type: String.Type) throws -> String { try JSONValueDecoder.string(next()) }
        mutating func decode(_ type: Double.Type) throws -> Double { try JSONValueDecoder.double(next()) }
        mutating func decode(_ type: Float.Type) throws -> Float { Float(try JSONValueDecoder.double(next())) }
        mutating func decode(_ type: Int.Type) throws -> Int { try JSONValueDecoder.int(next()) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try JSONValueDecoder.integer(next(), as: type) }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONValueDecoder(value: next()).decodeValue(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONValueDecoder(value: next()).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try JSONValueDecoder(value: next()).unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { JSONValueDecoder(value: try next()) }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        var codingPath: [any CodingKey] { [] }

        func decodeNil() -> Bool { value == .null }
        func decode(_ type: Bool.Type) throws -> Bool { try JSONValueDecoder.bool(value) }
        func decode(_ type: String.Type) throws -> String { try JSONValueDecoder.string(value) }
        func decode(_ type: Double.Type) throws -> Double { try JSONValueDecoder.double(value) }
        func decode(_ type: Float.Type) throws -> Float { Float(try JSONValueDecoder.double(value)) }
        func decode(_ type: Int.Type) throws -> Int { try JSONValueDecoder.int(value) }
        func decode(_ type: Int8.Type) throws -> Int8 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: UInt.Type) throws -> UInt { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try JSONValueDecoder.integer(value, as: type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try JSONValueDecoder.integer(value, as: type) }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONValueDecoder(value: value).decodeValue(type) }
    }
}
