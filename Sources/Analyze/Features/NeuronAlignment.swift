import Formats

/// The input dimensions ("neurons") each feature's decoder direction leans on most, as sae_vis's neuron alignment
/// table: the `k` largest `|W_dec[i, x]|`, each with its signed value and its share of the row's L1 norm
/// `|W_dec[i, x]| / Σₓ |W_dec[i, x]|`. Ties go to the lower dimension.
public struct NeuronAlignment: Sendable {
    public struct Entry: Equatable, Sendable {
        public var dimension: Int
        public var value: Float
        public var l1Share: Double
    }

    public let dSae: Int
    public let k: Int
    /// `dSae × k`, largest magnitude first; rows of all-zero decoders have shares of 0.
    public let entries: [Entry]

    /// `decoder` is `W_dec [d_sae, d_in]`.
    public init(decoder: FloatTensor, k: Int = 5) {
        precondition(decoder.shape.count == 2, "W_dec must be 2-D")
        let m = decoder.shape[0], d = decoder.shape[1]
        let k = min(k, d)
        dSae = m
        self.k = k
        var entries: [Entry] = []
        entries.reserveCapacity(m * k)
        decoder.values.withUnsafeBufferPointer { values in
            for f in 0..<m {
                let row = UnsafeBufferPointer(rebasing: values[f * d..<(f + 1) * d])
                var l1 = 0.0
                // Insertion into a best-first list of k; dimensions arrive ascending and comparisons are strict,
                // so ties keep the lower dimension.
                var largest: [Int] = []
                for x in 0..<d {
                    let magnitude = abs(row[x])
                    l1 += Double(magnitude)
                    if largest.count == k && !(magnitude > abs(row[largest[k - 1]])) { continue }
                    var slot = largest.count
                    while slot > 0 && magnitude > abs(row[largest[slot - 1]]) { slot -= 1 }
                    largest.insert(x, at: slot)
                    if largest.count > k { largest.removeLast() }
                }
                for x in largest {
                    entries.append(Entry(dimension: x, value: row[x], l1Share: l1 > 0 ? Double(abs(row[x])) / l1 : 0))
                }
            }
        }
        self.entries = entries
    }

    /// The entries of `feature`, largest magnitude first.
    public func of(_ feature: Int) -> ArraySlice<Entry> { entries[feature * k..<(feature + 1) * k] }
}
