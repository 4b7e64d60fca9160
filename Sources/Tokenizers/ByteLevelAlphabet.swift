/// GPT-2's reversible byte ↔ character mapping: printable Latin-1 bytes stand for themselves, the other 68 bytes
/// map to U+0100 upwards, so that every byte string is a printable vocabulary string.
enum ByteLevelAlphabet {
    /// The character of each byte.
    static let characters: [Unicode.Scalar] = {
        var visible = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var scalars = [Unicode.Scalar](repeating: " ", count: 256)
        for byte in visible { scalars[byte] = Unicode.Scalar(UInt32(byte))! }
        var next: UInt32 = 256
        for byte in 0..<256 where !visible.contains(byte) {
            scalars[byte] = Unicode.Scalar(next)!
            next += 1
            visible.append(byte)
        }
        return scalars
    }()

    /// The byte of each character of the alphabet.
    static let bytes: [Unicode.Scalar: UInt8] = Dictionary(
        uniqueKeysWithValues: characters.enumerated().map { ($0.element, UInt8($0.offset)) })

    /// The bytes a vocabulary string stands for, or nil when it has a character outside the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = bytes[scalar] else { return nil }
            result.append(byte)
        }
        return result
    }

    /// The UTF-8 of a byte's character.
    static func characterUTF8(_ byte: UInt8) -> [UInt8] { Array(String(characters[Int(byte)]).utf8) }

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var string = String.UnicodeScalarView()
        for byte in bytes { string.append(characters[Int(byte)]) }
        return String(string)
    }
}
