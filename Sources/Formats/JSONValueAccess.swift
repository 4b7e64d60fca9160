/// Read-only accessors for loosely structured JSON: each answers nil when the value is of another kind.
extension JSONValue {
    /// The member `key` of an object, or nil.
    public func member(_ key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields[key]
    }

    /// A number as `Double` (integers included), or nil.
    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// An integral number as `Int`, or nil.
    public var integer: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value.isFinite && value == value.rounded() && abs(value) < 1e18: Int(value)
        default: nil
        }
    }

    public var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var items: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var fields: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var flag: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var isNull: Bool { self == .null }
}
