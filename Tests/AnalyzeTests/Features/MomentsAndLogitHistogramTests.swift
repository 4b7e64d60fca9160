@testable import Analyze
import Foundation
import Testing
import TestSupport

/// Zero-centred moments and logit-weight histograms against numpy (scripts/fixtures/make_moment_fixtures.py).
@Suite struct MomentsAndLogitHistogramTests {
    struct Moments: Decodable {
        var density: Double
        var mean: Double
        var mean_square: Double
        var skew: Double?
        var kurtosis: Double?
    }

    struct Expected: Decodable {
        var bins: Int
        var moments: [Moments]
        var logit_histograms: [FeatureFixtures.HistogramValues]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: FeatureFixtures.directory.appendingPathComponent("moments_expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    @Test func momentsMatchNumpy() throws {
        let scratch = try ScratchDirectory()
        let (_, statistics, _) = try FeatureFixtures.database(in: scratch.url)
        for (f, want) in Self.expected.moments.enumerated() {
            let got = statistics.moments(f)
            #expect(isClose(got.density, want.density, absolute: 0), "density of \(f)")
            #expect(isClose(got.mean, want.mean), "mean of \(f)")
            #expect(isClose(got.meanSquare, want.mean_square), "E[a²] of \(f)")
            #expect(got.skew.map { s in want.skew.map { isClose(s, $0) } ?? false } ?? (want.skew == nil), "skew of \(f)")
            #expect(
                got.kurtosis.map { k in want.kurtosis.map { isClose(k, $0) } ?? false } ?? (want.kurtosis == nil),
                "kurtosis of \(f)")
        }
    }

    @Test func reportsCarryTheMoments() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top,
            decoder: FeatureFixtures.input.decoder, options: FeatureFixtures.options)
        for report in analysis.reports { #expect(report.moments == statistics.moments(report.feature)) }
    }

    /// Block sizes from one feature per sgemm to all at once give the same histograms, equal to numpy's up to
    /// float32 rounding of values that sit on a bin edge.
    @Test(arguments: [1, 16 * 50 * 4, 1 << 28])
    func logitHistogramsMatchNumpy(blockBytes: Int) throws {
        let input = FeatureFixtures.input
        let effects = try LogitEffects(
            decoder: input.decoder, unembedding: input.unembedding,
            histogramBins: Self.expected.bins, blockBytes: blockBytes)
        for (f, want) in Self.expected.logit_histograms.enumerated() {
            let got = effects.histograms[f]
            #expect(got.counts.reduce(0, +) == input.vocab_size)
            #expect(got.edges.count == want.edges.count)
            #expect(zip(got.edges, want.edges).allSatisfy { isClose($0, $1, absolute: 1e-5) }, "edges of \(f)")
            let moved = zip(got.counts, want.counts).map { abs($0 - $1) }.reduce(0, +)
            #expect(moved <= 2, "histogram of \(f): \(got.counts) vs \(want.counts)")
        }
    }

    @Test func linearHistogramFollowsNumpyEdgeRules() {
        let values: [Float] = [0, 1, 2, 3, 4, 10]
        let h = values.withUnsafeBufferPointer { Histogram.linear($0, bins: 5) }
        #expect(h.edges == [0, 2, 4, 6, 8, 10])
        #expect(h.counts == [2, 2, 1, 0, 1])  // left edges belong to their bin, the last bin is closed
        let flat = [Float](repeating: 3, count: 4).withUnsafeBufferPointer { Histogram.linear($0, bins: 50) }
        #expect(flat.edges == [3, 3] && flat.counts == [4])
        let broken: [Float] = [1, .nan, 3, .infinity]
        let finite = broken.withUnsafeBufferPointer { Histogram.linear($0, bins: 2) }
        #expect(finite.edges == [1, 2, 3] && finite.counts == [1, 1])
        let none = [Float.nan].withUnsafeBufferPointer { Histogram.linear($0, bins: 2, lower: .infinity, upper: -.infinity) }
        #expect(none.edges == [0, 0] && none.counts == [0])
    }
}
