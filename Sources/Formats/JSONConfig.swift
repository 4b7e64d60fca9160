import Foundation

/// A JSON object read from a config file, with typed accessors whose errors name the file and the key:
/// `config.json: key "hidden_size" is missing`, `config.json: key "d_in" must be an integer, found "abc"`.
/// Nested objects (`object(_:)`) report their keys with a dotted path, `trainer.lr`.
public struct JSONConfig: Sendable {
    /// The file the object came from.
    public let url: URL
    /// The object's members.
    public let members: [String: JSONValue]
    /// Where this object sits in the file, e.g. `["trainer"]`; empty at the top level.
    public let keyPath: [String]

    /// Reads and parses `url`, which must hold a JSON object.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError(FileManager.default.fileExists(atPath: url.path) ? "cannot read file" : "file does not exist", url: url)
        }
        try self.init(parsing: data, url: url)
    }

    /// Parses `data` as the contents of `url` (which is used only in messages).
    public init(parsing data: Data, url: URL) throws {
        let document = try JSONValue(parsing: data, url: url)
        guard case .object(let members) = document else {
            throw InputError("expected a JSON object at the top level, found \(document.summary)", url: url)
        }
        self.init(url: url, members: members, keyPath: [])
    }

    init(url: URL, members: [String: JSONValue], keyPath: [String]) {
        self.url = url
        self.members = members
        self.keyPath = keyPath
    }

    /// The keys present, sorted.
    public var keys: [String] { members.keys.sorted() }

    /// Whether `key` is present (even if null).
    public func contains(_ key: String) -> Bool { members[key] != nil }

    /// Whether `key` is present and not null.
    public func has(_ key: String) -> Bool { members[key].map { $0 != .null } ?? false }

    /// The raw value of `key`, or nil if absent.
    public func value(_ key: String) -> JSONValue? { members[key] }

    // MARK: Required values

    public func int(_ key: String) throws -> Int {
        try required(key, optionalInt(key))
    }

    /// A number; integers are accepted.
    public func double(_ key: String) throws -> Double {
        try required(key, optionalDouble(key))
    }

    public func string(_ key: String) throws -> String {
        try required(key, optionalString(key))
    }

    public func bool(_ key: String) throws -> Bool {
        try required(key, optionalBool(key))
    }

    /// A string, or an integer given as its decimal text (configs write `"hook_layer": "2"` or `2`).
    public func stringOrInt(_ key: String) throws -> String {
        try required(key, optionalStringOrInt(key))
    }

    /// The nested object at `key`.
    public func object(_ key: String) throws -> JSONConfig {
        try required(key, optionalObject(key))
    }

    public func intArray(_ key: String) throws -> [Int] {
        try required(key, optionalArray(key, of: "integers") { Self.integer($0) })
    }

    public func doubleArray(_ key: String) throws -> [Double] {
        try required(key, optionalArray(key, of: "numbers") { Self.number($0) })
    }

    public func stringArray(_ key: String) throws -> [String] {
        try required(key, optionalStringArray(key))
    }

    /// A positive integer (sizes and counts).
    public func positiveInt(_ key: String) throws -> Int {
        try required(key, optionalPositiveInt(key))
    }

    // MARK: Optional values: nil when the key is absent or null, an error when it has the wrong type

    /// An integer; integral numbers (`64.0`) and decimal strings (`"9"`, as the seed writes `hook_layer`) are
    /// accepted.
    public func optionalInt(_ key: String) throws -> Int? {
        try optional(key, "an integer", Self.integer)
    }

    public func optionalPositiveInt(_ key: String) throws -> Int? {
        guard let value = try optionalInt(key) else { return nil }
        guard value > 0 else { throw error(key, "must be a positive integer, found \(value)") }
        return value
    }

    public func optionalStringArray(_ key: String) throws -> [String]? {
        try optionalArray(key, of: "strings") { if case .string(let string) = $0 { string } else { nil } }
    }

    public func optionalDouble(_ key: String) throws -> Double? {
        try optional(key, "a number", Self.number)
    }

    public func optionalString(_ key: String) throws -> String? {
        try optional(key, "a string") { if case .string(let string) = $0 { string } else { nil } }
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        try optional(key, "true or false") { if case .bool(let bool) = $0 { bool } else { nil } }
    }

    public func optionalStringOrInt(_ key: String) throws -> String? {
        try optional(key, "a string or an integer") { value in
            switch value {
            case .string(let string): string
            case .int(let int): String(int)
            default: nil
            }
        }
    }

    public func optionalObject(_ key: String) throws -> JSONConfig? {
        try optional(key, "an object") { value in
            guard case .object(let members) = value else { return nil }
            return JSONConfig(url: url, members: members, keyPath: keyPath + [key])
        }
    }

    // MARK: Errors

    /// An `InputError` about this file that no single key explains.
    public func error(_ message: String) -> InputError {
        InputError(message, url: url)
    }

    /// An `InputError` about `key` in this file: `key "trainer.lr" <problem>`.
    public func error(_ key: String, _ problem: String) -> InputError {
        InputError("key \"\((keyPath + [key]).joined(separator: "."))\" \(problem)", url: url)
    }

    private func required<T>(_ key: String, _ value: T?) throws -> T {
        guard let value else {
            throw error(key, members[key] == nil ? "is missing" : "must not be null")
        }
        return value
    }

    private func optional<T>(_ key: String, _ expected: String, _ convert: (JSONValue) -> T?) throws -> T? {
        guard let value = members[key], value != .null else { return nil }
        guard let converted = convert(value) else { throw error(key, "must be \(expected), found \(value.summary)") }
        return converted
    }

    private func optionalArray<T>(_ key: String, of expected: String, _ convert: (JSONValue) -> T?) throws -> [T]? {
        try optional(key, "a list of \(expected)") { value in
            guard case .array(let items) = value else { return nil }
            let converted = items.compactMap(convert)
            return converted.count == items.count ? converted : nil
        }
    }

    private static func integer(_ value: JSONValue) -> Int? {
        switch value {
        case .int(let int): int
        case .double(let double): Int(exactly: double)  // 64.0 is an integer; 64.5 is not
        case .string(let text): Int(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double): double
        default: nil
        }
    }
}
