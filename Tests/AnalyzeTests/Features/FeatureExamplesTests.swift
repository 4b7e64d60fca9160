@testable import Analyze
import Foundation
import Testing
import TestSupport

/// Streaming statistics, top examples with contexts, histograms and interval samples against numpy.
@Suite struct FeatureExamplesTests {
    let input = FeatureFixtures.input
    let expected = FeatureFixtures.expected

    @Test func statisticsMatchNumpy() throws {
        let scratch = try ScratchDirectory()
        let (_, statistics, _) = try FeatureFixtures.database(in: scratch.url)
        #expect(statistics.tokenCount == expected.n_tokens)
        #expect(statistics.counts == expected.stats.count)
        for f in 0..<input.n_features {
            #expect(isClose(statistics.sums[f], expected.stats.sum[f]), "sum of \(f)")
            #expect(statistics.maxima[f] == Float(expected.stats.max[f]), "max of \(f)")
            #expect(statistics.minimum(f) == Float(expected.stats.min[f]), "min of \(f)")
            let mean = expected.stats.count[f] > 0 ? expected.stats.sum[f] / Double(expected.stats.count[f]) : 0
            #expect(isClose(statistics.meanActivation(f), mean))
        }
        // Features 60–63 never fire; 59 fires once.
        #expect(statistics.counts[60...].allSatisfy { $0 == 0 } && statistics.counts[59] == 1)
    }

    @Test func topExamplesAndContextsMatchNumpy() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top,
            decoder: input.decoder, options: FeatureFixtures.options)
        #expect(analysis.reports.map(\.feature) == (0..<input.n_features).filter { expected.stats.count[$0] > 0 })
        for report in analysis.reports {
            let want = try #require(expected.features[report.feature])
            #expect(report.topExamples.map(\.row) == want.top.map(\.row), "top rows of \(report.feature)")
            for (example, context) in zip(report.topExamples, want.top) {
                #expect(example.targetIndex == context.target_index)
                #expect(example.contextTokenIDs == context.context_rows.map { input.token_id[$0] })
                #expect(example.contextActivations == context.context_activations.map { Float($0) })
                #expect(example.contextTokenIDs.map { input.vocab[Int($0)] }.joined() == context.context)
                #expect(example.token == input.token(example.row))
            }
        }
        // Ties keep corpus order: feature 20 is exactly 5.0 at every position 0.
        let ties = try #require(analysis.reports.first { $0.feature == 20 }).topExamples.filter { $0.activation == 5 }
        #expect(ties.count > 5 && ties.map(\.row) == ties.map(\.row).sorted())
    }

    @Test func histogramsAndIntervalSamplesMatchNumpy() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top,
            decoder: input.decoder, options: FeatureFixtures.options)
        for report in analysis.reports {
            let want = try #require(expected.features[report.feature])
            #expect(report.histogram.counts == want.histogram.counts, "histogram of \(report.feature)")
            #expect(report.histogram.counts.reduce(0, +) == report.activationCount)
            #expect(zip(report.histogram.edges, want.histogram.edges).allSatisfy { isClose($0, $1, absolute: 0) })
            #expect(report.intervalExamples.map(\.count) == want.intervals.map(\.count), "interval counts of \(report.feature)")
            #expect(
                report.intervalExamples.map { $0.examples.map(\.row) } == want.intervals.map(\.rows),
                "interval samples of \(report.feature)")
            for (bin, wantBin) in zip(report.intervalExamples, want.intervals) {
                #expect(isClose(bin.lower, wantBin.range[0]) && isClose(bin.upper, wantBin.range[1]))
            }
        }
    }

    @Test func histogramBinsFollowNumpyEdges() {
        let histogram = Histogram.logSpaced(from: 0.1, to: 1000, bins: 4)
        #expect(histogram.edges.count == 5 && histogram.edges[0] == 0.1 && histogram.edges[4] == 1000)
        #expect(histogram.bin(ofLogSpaced: 0.1) == 0)
        #expect(histogram.bin(ofLogSpaced: 1000) == 3)  // the last bin is closed
        #expect(histogram.bin(ofLogSpaced: histogram.edges[2]) == 2)  // left edges belong to their bin
        #expect(histogram.bin(ofLogSpaced: 0.05) == nil && histogram.bin(ofLogSpaced: 2000) == nil)
        let single = Histogram.logSpaced(from: 2, to: 2, bins: 24)
        #expect(single.edges == [2, 2] && single.bin(ofLogSpaced: 2) == 0)
    }

    @Test func topExamplesKeepTheBestAcrossManyRows() {
        var top = TopExamples(dSae: 1, k: 3)
        let values: [Float] = [1, 7, 3, 7, 2, 9, 7]
        for (row, value) in values.enumerated() {
            [Int32(0)].withUnsafeBufferPointer { f in [value].withUnsafeBufferPointer { v in top.add(row: row, features: f, values: v) } }
        }
        #expect(
            top.examples(of: 0) == [
                ActivationExample(row: 5, value: 9), ActivationExample(row: 1, value: 7),
                ActivationExample(row: 3, value: 7),
            ])
    }
}
