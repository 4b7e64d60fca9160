import Charts
import Foundation

/// Several runs' histograms of one quantity on common bins, each as fractions of its own total, so runs with
/// different bins and different token or feature counts can be drawn over each other.
///
/// The common bins start at the lowest edge of any run and are as wide as the widest bin of any run (widened by a
/// whole factor when that would give more than `maxBins`); a run's count is spread over the common bins its bin
/// overlaps in proportion to the overlap. That is exact when the runs' edges lie on the common grid (ours do: L0
/// bins are unit-wide from 0, log-frequency bins quarter decades from a whole decade).
struct HistogramOverlay: Sendable {
    var edges: [Double]
    /// One series per run (nil where the run has no histogram), `edges.count - 1` fractions each.
    var series: [[Double]?]

    /// `totals[i]` is what run i's fractions are relative to (nil: the sum of its counts).
    init?(_ histograms: [HistogramBins?], totals: [Double?], maxBins: Int = 60) {
        let present = histograms.compactMap { $0 }.filter { $0.isWellFormed }
        guard !present.isEmpty, let low = present.map({ $0.edges.first! }).min(),
            let high = present.map({ $0.edges.last! }).max()
        else { return nil }
        var width = present.map { ($0.edges.last! - $0.edges.first!) / Double($0.counts.count) }.max()!
        if !(width > 0) { width = max(1, abs(high)) * 1e-6 }
        var bins = max(1, Int(((high - low) / width - 1e-9).rounded(.up)))
        if bins > maxBins {
            let factor = (Double(bins) / Double(maxBins)).rounded(.up)
            width *= factor
            bins = max(1, Int(((high - low) / width - 1e-9).rounded(.up)))
        }
        edges = (0...bins).map { low + Double($0) * width }
        let edges = edges
        series = zip(histograms, totals).map { histogram, total in
            guard let histogram, histogram.isWellFormed else { return nil }
            var counts = [Double](repeating: 0, count: bins)
            for (i, count) in histogram.counts.enumerated() where count > 0 {
                let lo = histogram.edges[i], hi = histogram.edges[i + 1]
                let first = min(bins - 1, max(0, Int(((lo - low) / width).rounded(.down))))
                if hi <= lo {
                    counts[first] += count
                    continue
                }
                var bin = first
                while bin < bins, edges[bin] < hi {
                    let overlap = min(hi, edges[bin + 1]) - max(lo, edges[bin])
                    if overlap > 0 { counts[bin] += count * overlap / (hi - lo) }
                    bin += 1
                }
            }
            let denominator = total ?? histogram.counts.reduce(0, +)
            return denominator > 0 ? counts.map { $0 / denominator } : counts
        }
    }
}
