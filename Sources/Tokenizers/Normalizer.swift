import Foundation

/// The supported tokenizer.json normalizers (a `Sequence` of them is flattened into the list).
enum Normalizer {
    case nfc, nfd, nfkc, nfkd, lowercase

    /// The normalized text, or nil when it is unchanged (always so for ASCII under the Unicode forms).
    static func apply(_ normalizers: [Normalizer], to text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard !normalizers.isEmpty else { return nil }
        let isASCII = text.allSatisfy { $0 < 0x80 }
        if isASCII && !normalizers.contains(.lowercase) { return nil }
        var string = String(decoding: text, as: UTF8.self)
        for normalizer in normalizers {
            switch normalizer {
            case .nfc: string = string.precomposedStringWithCanonicalMapping
            case .nfd: string = string.decomposedStringWithCanonicalMapping
            case .nfkc: string = string.precomposedStringWithCompatibilityMapping
            case .nfkd: string = string.decomposedStringWithCompatibilityMapping
            case .lowercase: string = string.lowercased()
            }
        }
        return Array(string.utf8)
    }
}
