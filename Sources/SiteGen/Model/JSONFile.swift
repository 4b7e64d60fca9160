import Formats
import Foundation

/// Decoding of the analysis directory's JSON files, with the leniency real runs need: Python's `json` writes
/// `NaN` and `Infinity` (JSON5 allows them), and a token cut inside a UTF-16 surrogate pair can be written as a
/// lone `\ud83d` escape, which strict parsers reject; such escapes (and invalid UTF-8 bytes) become U+FFFD.
enum JSONFile {
    /// Decodes the whole file at `url`; throws `InputError` naming the file when it is missing or malformed.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw InputError("cannot read file", url: url)
        }
        do {
            return try decode(type, from: data)
        } catch {
            throw InputError("malformed JSON (\(reason(error)))", url: url)
        }
    }

    /// Decodes one JSON document held in `data`: strict JSON through Formats' parser and `JSONValueDecoder`, and
    /// anything that path rejects (NaN, lone surrogates, a number where Foundation is lenient) through `JSONDecoder`,
    /// which then also words the error.
    ///
    /// Foundation's JSON5 mode rejects the `\u0000` escape that strict JSON allows (the NUL token of a vocabulary),
    /// and strict mode rejects `NaN`, so each text is tried both ways.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        if let value = try? JSONValue(parsing: data), let decoded = try? JSONValueDecoder.decode(type, from: value) {
            return decoded
        }
        let lenient = JSONDecoder(), strict = JSONDecoder()
        lenient.allowsJSON5 = true
        var firstError: Error?
        for text in [data, repairingText(data)] {
            for decoder in [lenient, strict] {
                do {
                    return try decoder.decode(type, from: text)
                } catch {
                    firstError = firstError ?? error
                }
            }
        }
        throw firstError!
    }

    /// A short reason for a decoding failure: which key and what was wrong.
    static func reason(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch error {
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context): return "missing \(type) value\(path(context))"
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\"\(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value\(path(context))"
        @unknown default: return "\(error)"
        }
    }

    /// `data` with invalid UTF-8 replaced by U+FFFD and lone surrogate escapes replaced by `\ufffd`.
    static func repairingText(_ data: Data) -> Data {
        var bytes = Array(String(decoding: data, as: UTF8.self).utf8)
        func hexValue(at i: Int) -> Int? {
            guard i + 6 <= bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else { return nil }
            var value = 0
            for b in bytes[(i + 2)..<(i + 6)] {
                guard let digit = Int(String(UnicodeScalar(b)), radix: 16) else { return nil }
                value = value * 16 + digit
            }
            return value
        }
        let replacement = Array("\\ufffd".utf8)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0x5C, i + 1 < bytes.count else { i += 1; continue }
            guard bytes[i + 1] == 0x75, let unit = hexValue(at: i) else { i += 2; continue }
            if (0xD800..<0xDC00).contains(unit), let low = hexValue(at: i + 6), (0xDC00..<0xE000).contains(low) {
                i += 12
            } else if (0xD800..<0xE000).contains(unit) {
                bytes.replaceSubrange(i..<(i + 6), with: replacement)
                i += 6
            } else {
                i += 6
            }
        }
        return Data(bytes)
    }
}
