import Formats

/// Read-only accessors for loosely structured JSON (the SUMMARY, config and results files, whose keys vary
/// between the seed's runs and ours).
extension JSONValue {
    /// The member `key` of an object, or nil.
    func member(_ key: String) -> JSONValue? {
        guard case .object(let fields) = self else { return nil }
        return fields[key]
    }

    /// A number as `Double` (integers included), or nil.
    var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// An integral number as `Int`, or nil.
    var integer: Int? {
        switch self {
        case .int(let value): value
        case .double(let value) where value.isFinite && value == value.rounded() && abs(value) < 1e18: Int(value)
        default: nil
        }
    }

    var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var items: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var fields: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The value as one line of display text: numbers compactly, lists and objects as compact JSON-like text.
    var displayText: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value): NumberFormat.precise(value)
        case .string(let value): value
        case .array(let items): "[" + items.map(\.displayText).joined(separator: ", ") + "]"
        case .object(let fields):
            "{" + fields.keys.sorted().map { "\($0): \(fields[$0]!.displayText)" }.joined(separator: ", ") + "}"
        }
    }
}
