/// Which positions of a batch the statistics leave out: those of special tokens (unless kept), and with
/// `--ignore-high-norm M` those whose hook-activation norm exceeds M × the median norm (attention sinks). Left-out
/// positions are not in the database, the feature statistics or the metrics, and keep their clean activation in the
/// SAE splice of the ablation study.
struct PositionExclusion: Sendable {
    /// Special ids to leave out (empty when they are kept).
    let specialIDs: Set<Int32>
    /// The norm above which a position is left out (nil: no limit).
    let normLimit: Double?

    /// Which rows are kept, and how many of each kind were left out (a special token is counted as special only).
    struct Mask: Equatable {
        var included: [Bool]
        var special = 0
        var highNorm = 0

        var includedCount: Int { included.count - special - highNorm }
    }

    func mask(tokens: [Int32], activations x: [Float], width: Int) -> Mask {
        precondition(x.count == tokens.count * width)
        var mask = Mask(included: [Bool](repeating: true, count: tokens.count))
        for row in tokens.indices {
            if specialIDs.contains(tokens[row]) {
                mask.included[row] = false
                mask.special += 1
            } else if let normLimit, Self.norm(x, row: row, width: width) > normLimit {
                mask.included[row] = false
                mask.highNorm += 1
            }
        }
        return mask
    }

    /// ‖x_row‖ in Float64.
    static func norm(_ x: [Float], row: Int, width: Int) -> Double {
        var sum = 0.0
        for value in x[(row * width)..<((row + 1) * width)] { sum += Double(value) * Double(value) }
        return sum.squareRoot()
    }

    /// The median of `values` (the mean of the two middle ones for an even count); nil when empty.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// The rows of `x` (row-major, `width` wide) where `included`, in order.
func includedRows(_ x: [Float], width: Int, included: [Bool]) -> [Float] {
    if !included.contains(false) { return x }
    var result: [Float] = []
    result.reserveCapacity(x.count)
    for (row, keep) in included.enumerated() where keep { result += x[(row * width)..<((row + 1) * width)] }
    return result
}

/// The elements of `values` where `included`.
func included<T>(_ values: [T], _ included: [Bool]) -> [T] {
    zip(values, included).compactMap { $1 ? $0 : nil }
}
