@testable import Analyze
import Foundation
import Testing
import TestSupport

/// Pearson correlation over tokens and neuron alignment against numpy (scripts/fixtures/make_correlation_fixtures.py).
@Suite struct CorrelationTests {
    struct Alignment: Decodable {
        var dimension: Int
        var value: Double
        var l1_share: Double
    }

    struct Expected: Decodable {
        var neighbors: Int
        var k: Int
        var pearson: [Double?]
        var correlated: [[Int]]
        var neuron_alignment: [[Alignment]]
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: FeatureFixtures.directory.appendingPathComponent("correlation_expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    var m: Int { FeatureFixtures.input.n_features }

    /// Every pair, from block passes of several sizes and thread counts (the whole-matrix pass mirrors a triangle).
    @Test(arguments: [64, 10, 1])
    func pearsonMatchesNumpy(blockRows: Int) throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, _) = try FeatureFixtures.database(in: scratch.url)
        var checked = 0
        for start in stride(from: 0, to: m, by: blockRows) {
            let counts = CooccurrenceCounts(
                database: database, rows: start..<min(start + blockRows, m), products: true, threads: blockRows % 3 + 1)
            for i in counts.rows {
                for j in 0..<m {
                    let got = ActivationCorrelation.pearson(
                        tokens: statistics.tokenCount, sumX: statistics.sums[i], squareSumX: statistics.squareSums[i],
                        sumY: statistics.sums[j], squareSumY: statistics.squareSums[j], productSum: counts.productSum(i, j))
                    let want = Self.expected.pearson[i * m + j]
                    #expect((got == nil) == (want == nil), "defined r[\(i),\(j)]")
                    if let got, let want {
                        #expect(isClose(got, want, absolute: 1e-9), "r[\(i),\(j)] \(got) vs \(want)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > m * m / 2)
        #expect(Self.expected.pearson.contains { ($0 ?? 0) < -0.05 }, "the fixture has negative correlations")
    }

    /// The analysis lists, written through several block passes, name numpy's features in numpy's order (up to
    /// float32 ties) with numpy's values.
    @Test func correlatedListsMatchNumpy() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        var options = FeatureFixtures.options
        options.cooccurrenceBlockBytes = 12 * m * 9  // passes of 9 rows
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top, decoder: FeatureFixtures.input.decoder,
            options: options)
        let table = analysis.correlationNeighbors
        #expect(table.k == Self.expected.neighbors)
        for i in 0..<m {
            let got = table.neighbors(of: i)
            let want = Self.expected.correlated[i]
            #expect(got.count == want.count, "list length of \(i)")
            for (slot, (g, w)) in zip(got, want).enumerated() {
                let wantValue = Self.expected.pearson[i * m + w]!
                #expect(isClose(Double(g.value), wantValue, absolute: 1e-6), "value \(slot) of \(i)")
                // The listed feature is numpy's, or one whose correlation is equal in float32.
                let gotValue = Self.expected.pearson[i * m + g.feature]!
                #expect(g.feature == w || Float(gotValue) == Float(wantValue), "feature \(slot) of \(i)")
            }
        }
    }

    @Test func neuronAlignmentMatchesNumpy() {
        let alignment = NeuronAlignment(decoder: FeatureFixtures.input.decoder, k: Self.expected.k)
        for (f, want) in Self.expected.neuron_alignment.enumerated() {
            let got = alignment.of(f)
            #expect(got.map(\.dimension) == want.map(\.dimension), "dimensions of \(f)")
            #expect(zip(got, want).allSatisfy { Double($0.value) == $1.value && isClose($0.l1Share, $1.l1_share) }, "values of \(f)")
        }
    }

    @Test func constantFeaturesHaveNoCorrelation() {
        #expect(ActivationCorrelation.pearson(tokens: 4, sumX: 0, squareSumX: 0, sumY: 2, squareSumY: 2, productSum: 0) == nil)
        #expect(ActivationCorrelation.pearson(tokens: 4, sumX: 8, squareSumX: 16, sumY: 2, squareSumY: 2, productSum: 4) == nil)
        let r = ActivationCorrelation.pearson(tokens: 4, sumX: 2, squareSumX: 2, sumY: 2, squareSumY: 2, productSum: 2)
        #expect(r == 1)
    }
}
