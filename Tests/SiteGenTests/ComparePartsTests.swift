@testable import Charts
import Foundation
@testable import SiteGen
import Testing

@Suite struct ComparePartsTests {
    @Test func overlayRebinsOntoCommonBinsAsFractions() throws {
        let a = HistogramBins(edges: [0, 1, 2, 3], counts: [1, 2, 3])
        let b = HistogramBins(edges: [1, 2, 3, 4, 5], counts: [4, 0, 0, 4])
        let overlay = try #require(HistogramOverlay([a, nil, b], totals: [nil, nil, 16]))
        #expect(overlay.edges == [0, 1, 2, 3, 4, 5])
        #expect(overlay.series[0] == [1.0, 2, 3, 0, 0].map { $0 / 6 })
        #expect(overlay.series[1] == nil)
        #expect(overlay.series[2] == [0.0, 4, 0, 0, 4].map { $0 / 16 })
        // Too many bins: widened by a whole factor (3), still exact on the grid.
        let coarse = try #require(HistogramOverlay([a, b], totals: [nil, nil], maxBins: 2))
        #expect(coarse.edges == [0, 3, 6])
        #expect(coarse.series[0] == [1, 0])
        #expect(coarse.series[1] == [0.5, 0.5])
        // A bin that straddles two common bins is split by overlap.
        let half = try #require(
            HistogramOverlay(
                [HistogramBins(edges: [0, 1], counts: [2]), HistogramBins(edges: [0.5, 1.5], counts: [4])],
                totals: [nil, nil]))
        #expect(half.edges == [0, 1, 2])
        #expect(half.series[1] == [0.5, 0.5])
        #expect(HistogramOverlay([nil, nil], totals: [nil, nil]) == nil)
    }

    @Test func relativePathsBetweenDirectories() {
        let at = { URL(fileURLWithPath: $0) }
        #expect(RelativePath.between(at("/x/runs/cmp"), at("/x/runs/a/site")) == "../a/site/")
        #expect(RelativePath.between(at("/x/cmp"), at("/x/cmp")) == "")
        #expect(RelativePath.between(at("/x/a b"), at("/y/c#d")) == "../../y/c#d/")
        #expect(RelativePath.encoded("../y/c#d/e f/") == "../y/c%23d/e%20f/")
    }

    @Test func deltasCarrySignAndRelativeSize() {
        typealias V = MetricComparison.Value
        #expect(CompareOverviewPage.delta(V.number(1.1), from: V.number(1.0)) == "+0.1 (+10.0%)")
        #expect(CompareOverviewPage.delta(V.number(3), from: V.number(5)) == "−2 (−40.0%)")
        #expect(CompareOverviewPage.delta(V.number(2), from: V.number(0)) == "+2")
        #expect(CompareOverviewPage.delta(V.number(2), from: V.number(2)) == "0")
        #expect(CompareOverviewPage.delta(V.text("x"), from: V.text("x")) == "=")
        #expect(CompareOverviewPage.delta(V.text("x"), from: V.text("y")) == "≠")
        #expect(CompareOverviewPage.delta(nil, from: V.number(1)) == "")
    }

    @Test func configDiffSeparatesDifferingAndSharedKeys() {
        let diff = ConfigDiff([[("a", "1"), ("b", "2")], nil, [("a", "1"), ("b", "3"), ("c", "4")]])
        #expect(diff.differing.map(\.key) == ["a", "b", "c"])  // run B has no config: every key differs
        let two = ConfigDiff([[("a", "1"), ("b", "2")], [("a", "1"), ("b", "3")]])
        #expect(two.differing.map(\.key) == ["b"] && two.shared.map(\.key) == ["a"])
        #expect(two.differing[0].values == ["2", "3"])
    }
}
