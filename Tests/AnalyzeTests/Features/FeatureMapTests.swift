@testable import Analyze
@testable import Formats
import Foundation
import Testing
import TestSupport

/// The feature map: its fuzzy neighbour graph against umap-learn, its starting coordinates against numpy's SVD
/// (scripts/fixtures/make_map_fixtures.py), and the layout's reproducibility and separation of the decoder's groups.
@Suite struct FeatureMapTests {
    struct Expected: Decodable {
        var n: Int
        var d: Int
        var k: Int
        var group: [Int]
        var w_dec: [Float]
        var neighbor_indices: [[Int]]
        var neighbor_distances: [[Double]]
        var edges: [[Double]]
        var components: [[Double]]

        var decoder: FloatTensor { FloatTensor(shape: [n, d], values: w_dec) }
    }

    static let expected: Expected = {
        let data = try! Data(contentsOf: FeatureFixtures.directory.appendingPathComponent("map_expected.json"))
        return try! JSONDecoder().decode(Expected.self, from: data)
    }()

    @Test func fuzzyGraphMatchesUmapLearn() {
        let e = Self.expected
        let graph = FuzzyNeighborGraph(pointCount: e.n) { i in
            Array(zip(e.neighbor_indices[i], e.neighbor_distances[i]).map { (point: $0, distance: $1) })
        }
        #expect(graph.weights.count == e.edges.count)
        for (index, edge) in e.edges.enumerated() where index < graph.weights.count {
            #expect(Int(graph.heads[index]) == Int(edge[0]) && Int(graph.tails[index]) == Int(edge[1]), "edge \(index)")
            #expect(isClose(Double(graph.weights[index]), edge[2], absolute: 1e-5), "weight of edge \(index)")
        }
    }

    @Test func startingCoordinatesAreTheFirstPrincipalComponents() {
        let e = Self.expected
        let start = FeatureMap.principalComponents(e.decoder, seed: 0)
        for c in 0..<2 {
            let got = (0..<e.n).map { Double(start[2 * $0 + c]) }
            let want = e.components.map { $0[c] }
            #expect(abs(correlation(got, want)) > 0.999, "component \(c)")
        }
        #expect(start.map { abs($0) }.max()! <= 10.001)
    }

    @Test func layoutIsReproducibleAndKeepsGroupsApart() {
        let e = Self.expected
        var table = NeighborTable(dSae: e.n, k: 32)
        DecoderSimilarity(decoder: e.decoder).forEachBlock { rows, block in table.fill(rows: rows, block: block) }
        let map = FeatureMap(decoder: e.decoder, neighbors: table)
        #expect(map.epochs == 500)
        #expect(map.coordinates == FeatureMap(decoder: e.decoder, neighbors: table).coordinates)
        let finite = map.coordinates.allSatisfy { $0.isFinite }
        #expect(finite)
        var other = FeatureMap.Parameters()
        other.seed = 1
        #expect(map.coordinates != FeatureMap(decoder: e.decoder, neighbors: table, parameters: other).coordinates)
        // Each point's nearest point on the map is in its own group.
        var same = 0
        for i in 0..<e.n {
            var best = -1, bestDistance = Float.infinity
            for j in 0..<e.n where j != i {
                let dx = map.coordinates[2 * i] - map.coordinates[2 * j], dy = map.coordinates[2 * i + 1] - map.coordinates[2 * j + 1]
                if dx * dx + dy * dy < bestDistance { (best, bestDistance) = (j, dx * dx + dy * dy) }
            }
            if e.group[best] == e.group[i] { same += 1 }
        }
        #expect(same >= e.n * 97 / 100, "\(same) of \(e.n) nearest points share the group")
    }

    private func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }
}
