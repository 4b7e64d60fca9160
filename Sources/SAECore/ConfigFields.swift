import Formats
import Foundation

/// The top-level object of a JSON config file, with typed reads whose errors name the file and the key.
/// Unknown keys are ignored; a key with the wrong type is an error.
struct ConfigFields {
    let fields: [String: JSONValue]
    let url: URL

    /// Reads and parses `url`; it must hold a JSON object.
    init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read the file", url: url)
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: data)
        } catch {
            throw InputError("not valid JSON", url: url)
        }
        guard case .object(let fields) = document else { throw InputError("expected a JSON object", url: url) }
        self.init(fields: fields, url: url)
    }

    init(fields: [String: JSONValue], url: URL) {
        self.fields = fields
        self.url = url
    }

    func has(_ key: String) -> Bool {
        if let value = fields[key], value != .null { return true }
        return false
    }

    func fail(_ key: String, _ problem: String) -> InputError {
        InputError("key \"\(key)\" \(problem)", url: url)
    }

    /// An integer; integral doubles (`64.0`) and decimal strings (`"9"`, as the seed writes `hook_layer`) are accepted.
    func optionalInt(_ key: String) throws -> Int? {
        switch fields[key] {
        case nil, .null?: return nil
        case .int(let value)?: return value
        case .double(let value)? where value.rounded() == value && abs(value) < 1e15: return Int(value)
        case .string(let text)? where Int(text.trimmingCharacters(in: .whitespaces)) != nil:
            return Int(text.trimmingCharacters(in: .whitespaces))
        case let value?: throw fail(key, "should be an integer, not \(value.summary)")
        }
    }

    func int(_ key: String) throws -> Int {
        guard let value = try optionalInt(key) else { throw fail(key, "is missing") }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let value?: throw fail(key, "should be a string, not \(value.summary)")
        }
    }

    func optionalBool(_ key: String) throws -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        case let value?: throw fail(key, "should be true or false, not \(value.summary)")
        }
    }

    func optionalDouble(_ key: String) throws -> Double? {
        switch fields[key] {
        case nil, .null?: return nil
        case .int(let value)?: return Double(value)
        case .double(let value)?: return value
        case let value?: throw fail(key, "should be a number, not \(value.summary)")
        }
    }

    /// A nested object, as fields of the same file.
    func optionalObject(_ key: String) throws -> ConfigFields? {
        switch fields[key] {
        case nil, .null?: return nil
        case .object(let value)?: return ConfigFields(fields: value, url: url)
        case let value?: throw fail(key, "should be an object, not \(value.summary)")
        }
    }
}
