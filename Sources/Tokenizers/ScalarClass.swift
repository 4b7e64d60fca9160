/// The character classes the byte-level split patterns test: `\p{L}`, `\p{N}`, `\s` (Unicode White_Space, as in
/// Oniguruma and Rust's regex) and `[\r\n]`. Everything else is "other", i.e. `[^\s\p{L}\p{N}]`.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8
    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let whitespace = ScalarClass(rawValue: 4)
    static let lineBreak = ScalarClass(rawValue: 8)  // \r or \n; always also .whitespace

    var isOther: Bool { rawValue & 0b111 == 0 }

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            if scalar == "\r" || scalar == "\n" {
                self = [.whitespace, .lineBreak]
            } else {
                self = properties.isWhitespace ? .whitespace : []
            }
        }
    }

    /// Class of every Basic Multilingual Plane scalar, computed once; other planes are classified on the fly.
    private static let basicPlane: [ScalarClass] = (0..<0x10000).map { value in
        Unicode.Scalar(UInt32(value)).map(ScalarClass.init) ?? []
    }

    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 { return basicPlane[Int(value)] }
        return Unicode.Scalar(value).map(ScalarClass.init) ?? []
    }
}

/// One decoded scalar of a UTF-8 buffer: its value and its length in bytes.
@inline(__always)
func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
    let b0 = UInt32(bytes[index])
    if b0 < 0x80 { return (b0, 1) }
    // The buffers come from Swift Strings, so they are valid UTF-8; the bounds checks only keep a bad buffer
    // from reading past its end.
    let end = bytes.count
    func continuation(_ offset: Int) -> UInt32 {
        index + offset < end ? UInt32(bytes[index + offset]) & 0x3F : 0
    }
    if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | continuation(1), min(2, end - index)) }
    if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | continuation(1) << 6 | continuation(2), min(3, end - index)) }
    return ((b0 & 0x07) << 18 | continuation(1) << 12 | continuation(2) << 6 | continuation(3), min(4, end - index))
}
