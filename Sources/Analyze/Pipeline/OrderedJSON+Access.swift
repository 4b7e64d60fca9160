extension OrderedJSON {
    /// The items of an array.
    public var arrayValue: [OrderedJSON]? {
        guard case .array(let items) = self else { return nil }
        return items
    }

    /// The text of a string.
    public var stringValue: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }
}
