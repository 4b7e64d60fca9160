import Foundation

/// The regex of a `Split` (or `ByteLevel` with `use_regex`) pre-tokenizer. The Qwen2/3, Llama-3 and GPT-2 patterns,
/// recognised by their exact text, are scanned by hand over UTF-8; any other pattern runs through
/// NSRegularExpression, whose ICU syntax covers what those files use (`\p{L}`, `(?i:...)`, `(?!\S)`).
enum SplitPattern {
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case qwen(maxDigits: Int)
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    case regex(NSRegularExpression)
    case literal([UInt8])

    static let qwenSource = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let llama3Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    /// The pattern for a regex source, or nil when NSRegularExpression cannot compile it.
    init?(regex source: String) {
        switch source {
        case Self.qwenSource: self = .qwen(maxDigits: 1)
        case Self.llama3Source: self = .qwen(maxDigits: 3)
        case Self.gpt2Source: self = .gpt2
        default:
            guard let regex = try? NSRegularExpression(pattern: source) else { return nil }
            self = .regex(regex)
        }
    }

    /// Whether every scalar of any text falls in some match, so the matches tile the text.
    var coversEverything: Bool {
        switch self {
        case .qwen, .gpt2: return true
        case .regex, .literal: return false
        }
    }

    /// Calls `body` with the byte range of each match, left to right.
    func forEachMatch(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        switch self {
        case .qwen(let maxDigits):
            var scanner = PatternScanner(text: text)
            var start = 0
            while start < text.count {
                let end = scanner.qwenMatch(at: start, maxDigits: maxDigits)
                body(start..<end)
                start = end
            }
        case .gpt2:
            var scanner = PatternScanner(text: text)
            var start = 0
            while start < text.count {
                let end = scanner.gpt2Match(at: start)
                body(start..<end)
                start = end
            }
        case .regex(let regex):
            let string = String(decoding: text, as: UTF8.self)
            let utf16 = string.utf16
            for match in regex.matches(in: string, range: NSRange(location: 0, length: utf16.count)) {
                let lower = utf16.index(utf16.startIndex, offsetBy: match.range.location)
                let upper = utf16.index(lower, offsetBy: match.range.length)
                let start = string.utf8.distance(from: string.utf8.startIndex, to: lower)
                let end = start + string.utf8.distance(from: lower, to: upper)
                body(start..<end)
            }
        case .literal(let needle):
            guard !needle.isEmpty, needle.count <= text.count else { return }
            var start = 0
            while start + needle.count <= text.count {
                if text[start] == needle[0], zip(needle.indices, start...).allSatisfy({ needle[$0] == text[$1] }) {
                    body(start..<start + needle.count)
                    start += needle.count
                } else {
                    start += 1
                }
            }
        }
    }
}

/// Hand-written matchers for the known split patterns: each returns the end of the match that the regex, tried
/// alternative by alternative with backtracking, finds at `start` (both patterns match at every position).
struct PatternScanner {
    let text: UnsafeBufferPointer<UInt8>

    private static let asciiClass: [ScalarClass] = (0..<128).map { ScalarClass(Unicode.Scalar(UInt8($0))) }

    @inline(__always)
    func scalarClass(at index: Int) -> (ScalarClass, Int) {
        let byte = text[index]
        if byte < 0x80 { return (Self.asciiClass[Int(byte)], 1) }
        let (value, length) = decodeScalar(text, at: index)
        return (ScalarClass.of(value), length)
    }

    /// End of the run of scalars from `index` that are all in class `kind` (or all "other" when kind is empty).
    @inline(__always)
    func run(from index: Int, _ matches: (ScalarClass) -> Bool) -> Int {
        var end = index
        while end < text.count {
            let (kind, length) = scalarClass(at: end)
            guard matches(kind) else { break }
            end += length
        }
        return end
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` after the apostrophe at `index - 1`; case-insensitively as Oniguruma folds
    /// (so U+017F LATIN SMALL LETTER LONG S matches `s`).
    func contraction(after index: Int, ignoringCase: Bool) -> Int? {
        guard index < text.count else { return nil }
        func folded(_ i: Int) -> UInt8 {
            guard i < text.count else { return 0 }
            let byte = text[i]
            return ignoringCase && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
        }
        switch folded(index) {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return index + 1
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return folded(index + 1) == UInt8(ascii: "e") ? index + 2 : nil
        case UInt8(ascii: "l"):
            return folded(index + 1) == UInt8(ascii: "l") ? index + 2 : nil
        case 0xC5 where ignoringCase && index + 1 < text.count && text[index + 1] == 0xBF:
            return index + 2
        default:
            return nil
        }
    }

    /// The whitespace alternatives shared by both patterns: `\s+(?!\S)|\s+`, and for Qwen first `\s*[\r\n]+`.
    func whitespaceMatch(at start: Int, lineBreaksFirst: Bool) -> Int {
        var end = start
        var lastScalarStart = start
        var lineBreakEnd = -1
        while end < text.count {
            let (kind, length) = scalarClass(at: end)
            guard kind.contains(.whitespace) else { break }
            if kind.contains(.lineBreak) { lineBreakEnd = end + length }
            lastScalarStart = end
            end += length
        }
        if lineBreaksFirst && lineBreakEnd >= 0 { return lineBreakEnd }  // \s*[\r\n]+
        if end == text.count { return end }  // \s+(?!\S) at the end
        if lastScalarStart > start { return lastScalarStart }  // \s+(?!\S), giving back one scalar
        return end  // \s+
    }

    mutating func qwenMatch(at start: Int, maxDigits: Int) -> Int {
        if text[start] == UInt8(ascii: "'"), let end = contraction(after: start + 1, ignoringCase: true) {
            return end
        }
        let (first, firstLength) = scalarClass(at: start)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if first.contains(.letter) {
            return run(from: start + firstLength) { $0.contains(.letter) }
        }
        if !first.contains(.lineBreak) && !first.contains(.number) && start + firstLength < text.count {
            let (second, secondLength) = scalarClass(at: start + firstLength)
            if second.contains(.letter) {
                return run(from: start + firstLength + secondLength) { $0.contains(.letter) }
            }
        }
        // \p{N}{1,maxDigits}
        if first.contains(.number) {
            var end = start + firstLength
            var count = 1
            while count < maxDigits && end < text.count {
                let (kind, length) = scalarClass(at: end)
                guard kind.contains(.number) else { break }
                end += length
                count += 1
            }
            return end
        }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        var otherStart = -1
        if text[start] == 0x20 && start + 1 < text.count && scalarClass(at: start + 1).0.isOther {
            otherStart = start + 1
        } else if first.isOther {
            otherStart = start
        }
        if otherStart >= 0 {
            var end = run(from: otherStart) { $0.isOther }
            while end < text.count && (text[end] == 0x0D || text[end] == 0x0A) { end += 1 }
            return end
        }
        return whitespaceMatch(at: start, lineBreaksFirst: true)
    }

    mutating func gpt2Match(at start: Int) -> Int {
        if text[start] == UInt8(ascii: "'"), let end = contraction(after: start + 1, ignoringCase: false) {
            return end
        }
        //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
        var classStart = start
        var (kind, _) = scalarClass(at: start)
        if text[start] == 0x20 && start + 1 < text.count {
            let (next, _) = scalarClass(at: start + 1)
            if !next.contains(.whitespace) {
                classStart = start + 1
                kind = next
            }
        }
        if kind.contains(.letter) { return run(from: classStart) { $0.contains(.letter) } }
        if kind.contains(.number) { return run(from: classStart) { $0.contains(.number) } }
        if kind.isOther { return run(from: classStart) { $0.isOther } }
        return whitespaceMatch(at: start, lineBreaksFirst: false)
    }
}
