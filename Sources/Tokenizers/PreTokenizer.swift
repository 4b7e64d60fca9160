/// How a `Split` pre-tokenizer treats the pattern's matches (the `behavior` field of tokenizer.json).
enum SplitBehavior: String {
    case isolated = "Isolated", removed = "Removed", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

/// One step of the pre-tokenizer chain, applied to every piece the previous step produced.
enum PreTokenizerStep {
    case split(SplitPattern, SplitBehavior, invert: Bool)
    /// The ByteLevel pre-tokenizer: optionally prefix a space, optionally split with the GPT-2 pattern. Its byte to
    /// character mapping is implicit: the BPE model works on the UTF-8 bytes directly.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
}

/// The pre-tokenizer chain: cuts a normalized text into the words that BPE encodes one by one.
struct PreTokenizer {
    var steps: [PreTokenizerStep]

    /// Calls `body` with each non-empty word of `text`, in order.
    func forEachWord(in text: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        apply(step: 0, to: text, body)
    }

    private func apply(step index: Int, to piece: UnsafeBufferPointer<UInt8>,
                       _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard index < steps.count else {
            if !piece.isEmpty { body(piece) }
            return
        }
        switch steps[index] {
        case .split(let pattern, let behavior, let invert):
            split(piece, pattern, behavior, invert: invert) { apply(step: index + 1, to: $0, body) }
        case .byteLevel(let addPrefixSpace, let useRegex):
            func next(_ piece: UnsafeBufferPointer<UInt8>) {
                if useRegex {
                    split(piece, .gpt2, .isolated, invert: false) { apply(step: index + 1, to: $0, body) }
                } else {
                    apply(step: index + 1, to: piece, body)
                }
            }
            if addPrefixSpace && piece.first != 0x20 {
                ([0x20] + Array(piece)).withUnsafeBufferPointer(next)
            } else {
                next(piece)
            }
        }
    }

    /// HF `NormalizedString::split`: the text is cut into matches and the gaps between them, which the behavior
    /// then keeps, drops or merges; empty pieces vanish.
    private func split(_ text: UnsafeBufferPointer<UInt8>, _ pattern: SplitPattern, _ behavior: SplitBehavior,
                       invert: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        func emit(_ range: Range<Int>) {
            if !range.isEmpty { body(UnsafeBufferPointer(rebasing: text[range])) }
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
