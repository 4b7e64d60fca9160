/// How a `Split` pre-tokenizer treats the pattern's matches (the `behavior` field of tokenizer.json).
enum SplitBehavior: String {
    case isolated = "Isolated"
    case removed = "Removed"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// One step of the pre-tokenizer chain, applied to every piece the previous step produced.
enum PreTokenizerStep {
    case split(SplitPattern, SplitBehavior, invert: Bool)
    /// The ByteLevel pre-tokenizer: optionally prefix a space, optionally split with the GPT-2 pattern. Its byte to
    /// character mapping is implicit: the BPE model works on the UTF-8 bytes directly.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// SentencePiece's spaces: every " " becomes the replacement (U+2581 "▁"), which is prepended as the scheme
    /// says, and with `split` each piece starts at a replacement.
    case metaspace(replacement: [UInt8], prepend: PrependScheme, split: Bool)
}

/// When `Metaspace` puts its replacement in front of a piece that does not start with it.
enum PrependScheme: String {
    case always, never
    /// Only before the piece at the very start of the text (not after an added token).
    case first
}

/// The pre-tokenizer chain: cuts a normalized text into the words that BPE encodes one by one.
struct PreTokenizer {
    var steps: [PreTokenizerStep]

    /// Calls `body` with each non-empty word of `text`, in order. `atStart`: the text begins the whole input
    /// (HF: its original offset is 0), which Metaspace's `first` scheme asks.
    func forEachWord(
        in text: UnsafeBufferPointer<UInt8>, atStart: Bool = true,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        apply(step: 0, to: text, atStart: atStart, body)
    }

    private func apply(
        step index: Int, to piece: UnsafeBufferPointer<UInt8>, atStart: Bool,
        _ body: (UnsafeBufferPointer<UInt8>) -> Void
    ) {
        guard index < steps.count else {
            if !piece.isEmpty { body(piece) }
            return
        }
        // Pieces after the first no longer begin the input.
        func splitThen(_ text: UnsafeBufferPointer<UInt8>, _ pattern: SplitPattern, _ behavior: SplitBehavior, invert: Bool) {
            split(text, pattern, behavior, invert: invert) { range in
                apply(step: index + 1, to: UnsafeBufferPointer(rebasing: text[range]), atStart: atStart && range.lowerBound == 0, body)
            }
        }
        switch steps[index] {
        case .split(let pattern, let behavior, let invert):
            splitThen(piece, pattern, behavior, invert: invert)
        case .byteLevel(let addPrefixSpace, let useRegex):
            func cut(_ text: UnsafeBufferPointer<UInt8>) {
                if useRegex {
                    splitThen(text, .gpt2, .isolated, invert: false)
                } else {
                    apply(step: index + 1, to: text, atStart: atStart, body)
                }
            }
            if addPrefixSpace && piece.first != 0x20 {
                ([0x20] + Array(piece)).withUnsafeBufferPointer(cut)
            } else {
                cut(piece)
            }
        case .metaspace(let replacement, let prepend, let splits):
            var text = Normalizer.replacing([0x20], with: replacement, in: piece) ?? Array(piece)
            if prepend == .always || (prepend == .first && atStart), !text.starts(with: replacement) {
                text = replacement + text
            }
            text.withUnsafeBufferPointer { text in
                if splits {
                    splitThen(text, .literal(replacement), .mergedWithNext, invert: false)
                } else {
                    apply(step: index + 1, to: text, atStart: atStart, body)
                }
            }
        }
    }

    /// HF `NormalizedString::split`: the text is cut into matches and the gaps between them, which the behavior
    /// then keeps, drops or merges; empty pieces vanish. `body` gets each kept piece's range in `text`.
    private func split(
        _ text: UnsafeBufferPointer<UInt8>, _ pattern: SplitPattern, _ behavior: SplitBehavior,
        invert: Bool, _ body: (Range<Int>) -> Void
    ) {
        func emit(_ range: Range<Int>) {
            if !range.isEmpty { body(range) }
        }
        if behavior == .isolated && pattern.coversEverything {
            pattern.forEachMatch(in: text, emit)
            return
        }
        var parts: [(range: Range<Int>, isMatch: Bool)] = []
        var previousEnd = 0
        pattern.forEachMatch(in: text) { match in
            if match.lowerBound != previousEnd { parts.append((previousEnd..<match.lowerBound, invert)) }
            parts.append((match, !invert))
            previousEnd = match.upperBound
        }
        if previousEnd != text.count || parts.isEmpty { parts.append((previousEnd..<text.count, invert)) }

        var kept: [Range<Int>] = []
        switch behavior {
        case .isolated:
            kept = parts.map(\.range)
        case .removed:
            kept = parts.filter { !$0.isMatch }.map(\.range)
        case .contiguous:
            var previousMatch = false
            for part in parts {
                if part.isMatch == previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<part.range.upperBound
                } else {
                    kept.append(part.range)
                }
                previousMatch = part.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for part in parts {
                if part.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<part.range.upperBound
                } else {
                    kept.append(part.range)
                }
                previousMatch = part.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for part in parts.reversed() {
                if part.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = part.range.lowerBound..<last.upperBound
                } else {
                    kept.append(part.range)
                }
                previousMatch = part.isMatch
            }
            kept.reverse()
        }
        kept.forEach(emit)
    }
}
