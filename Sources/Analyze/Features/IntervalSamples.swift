import LMRuntime
/// A few random examples of each feature from each of `binCount` equal-width activation intervals
/// `[max·b/B, max·(b+1)/B)` (the last one closed), as sae_vis and Neuronpedia show: the top examples only show
/// the extreme, these show what weak and medium activations look like.
///
/// Each (feature, interval) keeps a reservoir sample (Vitter's algorithm R) of `perBin` examples, drawing from
/// one seeded SplitMix64 in row-major scan order, so the sample is reproducible and independent of the corpus
/// length in memory.
public struct IntervalSamples: Sendable {
    public let binCount: Int
    public let perBin: Int
    private let maxima: [Float]
    private var seen: [Int]
    private var reservoirs: [ActivationExample]
    private var generator: SplitMix64

    /// `maxima[f]` is feature f's largest activation (from a first pass); features with maximum 0 are skipped.
    public init(maxima: [Float], binCount: Int = 10, perBin: Int = 5, seed: UInt64) {
        precondition(binCount > 0 && perBin > 0)
        self.binCount = binCount
        self.perBin = perBin
        self.maxima = maxima
        seen = Array(repeating: 0, count: maxima.count * binCount)
        reservoirs = Array(repeating: ActivationExample(row: -1, value: 0), count: maxima.count * binCount * perBin)
        generator = SplitMix64(seed: seed)
    }

    /// One interval of one feature: its bounds, how many activations fell in it, and the sampled examples
    /// (best first).
    public struct Bin: Equatable, Sendable {
        public var index: Int
        public var lower: Double
        public var upper: Double
        public var count: Int
        public var examples: [ActivationExample]
    }

    /// Offers one token's nonzero activations (rows in increasing order).
    public mutating func add(row: Int, features: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>) {
        for (feature, value) in zip(features, values) where value > 0 {
            let f = Int(feature)
            let maximum = Double(maxima[f])
            guard maximum > 0 else { continue }
            let bin = min(Int(Double(value) / maximum * Double(binCount)), binCount - 1)
            let slot = f * binCount + bin
            seen[slot] += 1
            let n = seen[slot]
            if n <= perBin {
                reservoirs[slot * perBin + n - 1] = ActivationExample(row: row, value: value)
            } else {
                let j = Int(generator.next() % UInt64(n))
                if j < perBin { reservoirs[slot * perBin + j] = ActivationExample(row: row, value: value) }
            }
        }
    }

    /// The non-empty intervals of `feature`, lowest first.
    public func bins(of feature: Int) -> [Bin] {
        let maximum = Double(maxima[feature])
        return (0..<binCount).compactMap { bin in
            let slot = feature * binCount + bin
            let n = seen[slot]
            guard n > 0 else { return nil }
            let kept = reservoirs[slot * perBin..<slot * perBin + min(n, perBin)].sorted(by: ActivationExample.ranksAbove)
            return Bin(
                index: bin, lower: maximum * Double(bin) / Double(binCount),
                upper: maximum * Double(bin + 1) / Double(binCount), count: n, examples: kept)
        }
    }
}
