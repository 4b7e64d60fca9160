import Foundation

/// The supported tokenizer.json normalizers (a `Sequence` of them is flattened into the list).
enum Normalizer: Equatable {
    case nfc, nfd, nfkc, nfkd, lowercase
    /// `Replace` with a literal pattern: every non-overlapping occurrence, left to right.
    case replace(pattern: [UInt8], content: [UInt8])
    /// `Prepend`: the text, when not empty, gets this in front.
    case prepend([UInt8])

    /// The normalized text, or nil when it is unchanged (always so for ASCII under the Unicode forms).
    static func apply(_ normalizers: [Normalizer], to text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var result: [UInt8]?
        for normalizer in normalizers {
            let changed =
                result.map { bytes in bytes.withUnsafeBufferPointer { normalizer.apply(to: $0) } }
                ?? normalizer.apply(to: text)
            if let changed { result = changed }
        }
        return result
    }

    /// This normalizer's output, or nil when it leaves `text` as it is.
    private func apply(to text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        switch self {
        case .nfc, .nfd, .nfkc, .nfkd, .lowercase:
            let isASCII = text.allSatisfy { $0 < 0x80 }
            if isASCII {
                guard self == .lowercase, text.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
                return text.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            }
            let string = String(decoding: text, as: UTF8.self)
            switch self {
            case .nfc: return Array(string.precomposedStringWithCanonicalMapping.utf8)
            case .nfd: return Array(string.decomposedStringWithCanonicalMapping.utf8)
            case .nfkc: return Array(string.precomposedStringWithCompatibilityMapping.utf8)
            case .nfkd: return Array(string.decomposedStringWithCompatibilityMapping.utf8)
            default: return Array(string.lowercased().utf8)
            }
        case .replace(let pattern, let content):
            return Self.replacing(pattern, with: content, in: text)
        case .prepend(let prefix):
            return text.isEmpty ? nil : prefix + Array(text)
        }
    }

    /// `text` with each non-overlapping occurrence of `pattern` replaced, or nil when there is none.
    static func replacing(_ pattern: [UInt8], with content: [UInt8], in text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let first = pattern.first, pattern.count <= text.count else { return nil }
        var result: [UInt8] = []
        var copied = 0
        var index = 0
        while index + pattern.count <= text.count {
            if text[index] == first && (1..<pattern.count).allSatisfy({ text[index + $0] == pattern[$0] }) {
                if result.isEmpty { result.reserveCapacity(text.count + text.count / 4) }
                result += text[copied..<index]
                result += content
                index += pattern.count
                copied = index
            } else {
                index += 1
            }
        }
        guard copied > 0 else { return nil }
        result += text[copied...]
        return result
    }
}
