import Formats

/// Display of loosely structured JSON (the SUMMARY, config and results files, whose keys vary between the seed's runs
/// and ours).
extension JSONValue {
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
