/// What `post_processor` puts around the ids of one text or of a pair (HF `encode` with `add_special_tokens=True`):
/// TemplateProcessing's `single` and `pair` templates, Roberta/Bert's cls … sep; ByteLevel adds nothing.
struct PostProcessor {
    enum Piece: Equatable {
        /// The ids of the first text ($A) or the second ($B).
        case sequence(second: Bool)
        case special([Int32])
    }

    var single: [Piece] = [.sequence(second: false)]
    var pair: [Piece] = [.sequence(second: false), .sequence(second: true)]

    /// Whether it adds nothing (ByteLevel, or no post-processor).
    var isIdentity: Bool { single == Self().single && pair == Self().pair }

    /// The special ids `single` puts before the text.
    var leadingSpecialTokens: [Int32] {
        var ids: [Int32] = []
        for piece in single {
            guard case .special(let special) = piece else { break }
            ids += special
        }
        return ids
    }

    func apply(_ first: [Int32], _ second: [Int32]?) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(first.count + (second?.count ?? 0) + 4)
        for piece in second == nil ? single : pair {
            switch piece {
            case .sequence(let isSecond): ids += isSecond ? second ?? [] : first
            case .special(let special): ids += special
            }
        }
        return ids
    }
}
