import Analyze
import Foundation

/// `sae-bench histogram [ROWS] [VOCAB]`: the 50-bin logit-weight histogram of `LogitEffects` (`Histogram.linear`)
/// against its previous implementation (Double arithmetic, one set of counters; kept below as the baseline), on
/// rows shaped like logit-weight rows (sums of uniforms: bell-shaped, most values in a few central bins), one
/// thread. Checks that both give the same counts. Defaults: 512 rows of Qwen3's 151,936-token vocabulary.
enum HistogramBench {
    static func run(_ args: [String]) throws {
        let rows = args.count > 0 ? Int(args[0])! : 512
        let vocabulary = args.count > 1 ? Int(args[1])! : 151_936
        var random = SplitMix64(seed: 5)
        let row = 16
        let pool = (0..<(row * vocabulary)).map { _ in
            (0..<4).reduce(Float(0)) { sum, _ in sum + Float(random.next() % 10_001) / 10_000 - 0.5 }
        }
        var baseline = 0.0, current = 0.0
        for round in 0..<rows {
            let values = pool[(round % row) * vocabulary..<(round % row + 1) * vocabulary]
            let lower = values.min()!, upper = values.max()!
            try values.withUnsafeBufferPointer { values in
                var clock = ContinuousClock.now
                let old = previousLinear(values, bins: 50, lower: lower, upper: upper)
                baseline += LogitEffectsBench.seconds(since: clock)
                clock = .now
                let new = Histogram.linear(values, bins: 50, lower: lower, upper: upper)
                current += LogitEffectsBench.seconds(since: clock)
                guard old == new else { throw BenchError("row \(round): the histograms differ") }
            }
        }
        let values = Double(rows * vocabulary)
        print(
            "50-bin histograms of \(rows) rows × \(vocabulary) values (identical counts): previous "
                + "\(String(format: "%.3f", baseline)) s (\(String(format: "%.2f", baseline / values * 1e9)) ns/value), "
                + "now \(String(format: "%.3f", current)) s (\(String(format: "%.2f", current / values * 1e9)) ns/value): "
                + "\(String(format: "%.2f", baseline / current))× faster")
    }

    /// `Histogram.linear(_:bins:lower:upper:)` as it was before the Float thresholds and split counters.
    static func previousLinear(_ values: UnsafeBufferPointer<Float>, bins: Int, lower: Float, upper: Float) -> Histogram {
        let lower = Double(lower), upper = Double(upper)
        let n = upper > lower ? bins : 1
        let step = (upper - lower) / Double(n)
        var edges = (0...n).map { lower + Double($0) * step }
        edges[n] = upper
        var counts = [Int](repeating: 0, count: n)
        let scale = upper > lower ? Double(n) / (upper - lower) : 0
        edges.withUnsafeBufferPointer { edges in
            counts.withUnsafeMutableBufferPointer { counts in
                for value in values {
                    let v = Double(value)
                    guard v >= lower, v <= upper else { continue }
                    var index = min(Int((v - lower) * scale), n - 1)
                    if v < edges[index] { index -= 1 }
                    if index < n - 1 && v >= edges[index + 1] { index += 1 }
                    counts[index] += 1
                }
            }
        }
        return Histogram(edges: edges, counts: counts)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
