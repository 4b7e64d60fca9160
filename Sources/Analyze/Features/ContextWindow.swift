/// The part of an example's context that is shown: the target token with up to `charactersPerSide` characters
/// of context on each side (so the target sits in the middle), and edges moved inwards to the nearest word
/// boundary, so a window never starts or ends inside a word ("xidation number" becomes "number"), except where
/// the target's own word is longer than the budget.
public struct ContextWindow: Equatable, Sendable {
    /// Characters of context per side, shown with the seed's ±10 tokens of ordinary prose intact.
    public static let defaultCharactersPerSide = 60

    /// The chosen range of `pieces`.
    public var range: Range<Int>

    /// `pieces` are the display strings of the context tokens (joining to the text), `target` the example's index
    /// in them; `before`/`after` are the display strings of the tokens just outside (nil at the text's edges,
    /// which are word boundaries).
    public init(
        pieces: [String], target: Int, before: String?, after: String?,
        charactersPerSide: Int = ContextWindow.defaultCharactersPerSide
    ) {
        precondition(pieces.indices.contains(target))
        func isBoundary(_ index: Int) -> Bool {
            let left = index == 0 ? before : pieces[..<index].last { !$0.isEmpty }
            let right = index == pieces.count ? after : pieces[index...].first { !$0.isEmpty }
            guard let left, let right, let a = left.last, let b = right.first else { return true }
            // An apostrophe between letters is inside a word ("I|'m", "don'|t").
            if Self.isApostrophe(b), a.isLetter, right.dropFirst().first?.isLetter == true { return false }
            if Self.isApostrophe(a), b.isLetter, left.dropLast().last?.isLetter == true { return false }
            return !Self.isWordCharacter(a) || !Self.isWordCharacter(b) || Self.standsAlone(a) || Self.standsAlone(b)
        }
        var start = target, used = 0
        while start > 0, used + pieces[start - 1].count <= charactersPerSide {
            start -= 1
            used += pieces[start].count
        }
        while start < target, !isBoundary(start) { start += 1 }
        var end = target + 1
        used = 0
        while end < pieces.count, used + pieces[end].count <= charactersPerSide {
            used += pieces[end].count
            end += 1
        }
        while end > target + 1, !isBoundary(end) { end -= 1 }
        range = start..<end
    }

    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    static func isApostrophe(_ c: Character) -> Bool { c == "'" || c == "\u{2019}" }

    /// Scripts written without spaces (CJK ideographs, kana): every character is its own boundary.
    static func standsAlone(_ c: Character) -> Bool {
        c.unicodeScalars.contains { $0.properties.isIdeographic || (0x3040...0x30FF).contains($0.value) }
    }
}
