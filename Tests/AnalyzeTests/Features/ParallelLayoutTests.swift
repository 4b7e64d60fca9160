@testable import Analyze
@testable import Formats
import Foundation
import Parallelism
import Testing

/// The feature map's multi-threaded parts: the SGD split into parts (reproducible for a part count at any thread
/// count, as good at keeping the decoder's groups apart as the one-part layout) and the neighbour table's top-k scan
/// (the same table at any thread count).
@Suite struct ParallelLayoutTests {
    static var expected: FeatureMapTests.Expected { FeatureMapTests.expected }

    static let table: NeighborTable = {
        let e = expected
        var table = NeighborTable(dSae: e.n, k: 32)
        DecoderSimilarity(decoder: e.decoder).forEachBlock { rows, block in table.fill(rows: rows, block: block) }
        return table
    }()

    private func map(parts: Int, seed: UInt64 = 0) -> FeatureMap {
        var parameters = FeatureMap.Parameters()
        parameters.parts = parts
        parameters.seed = seed
        return FeatureMap(decoder: Self.expected.decoder, neighbors: Self.table, parameters: parameters)
    }

    @Test(arguments: [2, 3, 4])
    func layoutIsReproducibleForAPartCountAndKeepsGroupsApart(parts: Int) {
        let e = Self.expected
        let first = map(parts: parts)
        #expect(first.coordinates == map(parts: parts).coordinates)
        #expect(first.coordinates != map(parts: parts, seed: 1).coordinates)
        #expect(first.coordinates != map(parts: 1).coordinates)
        let finite = first.coordinates.allSatisfy { $0.isFinite }
        #expect(finite)
        var same = 0
        for i in 0..<e.n {
            var best = -1, bestDistance = Float.infinity
            for j in 0..<e.n where j != i {
                let dx = first.coordinates[2 * i] - first.coordinates[2 * j]
                let dy = first.coordinates[2 * i + 1] - first.coordinates[2 * j + 1]
                if dx * dx + dy * dy < bestDistance { (best, bestDistance) = (j, dx * dx + dy * dy) }
            }
            if e.group[best] == e.group[i] { same += 1 }
        }
        #expect(same >= e.n * 97 / 100, "\(same) of \(e.n) nearest points share the group with \(parts) parts")
    }

    @Test func onePartIsTheSerialLayout() {
        let e = Self.expected
        let graph = FuzzyNeighborGraph(pointCount: e.n) { i in
            Self.table.neighbors(of: i).prefix(14).map { ($0.feature, 1 - Double($0.value)) }
        }
        var serial = FeatureMap.principalComponents(e.decoder, seed: 0)
        FeatureMap.optimize(&serial, graph: graph, epochs: 500, parameters: FeatureMap.Parameters())
        #expect(map(parts: 1).coordinates == serial)
    }

    @Test func partitionCoversEveryPointAndEdgeOnce() {
        let heads: [Int32] = [0, 0, 1, 1, 1, 1, 1, 2, 4, 4, 5, 6, 6, 6, 9]
        for parts in 1...6 {
            let shares = ParallelLayoutSGD.partition(heads: heads, pointCount: 10, parts: parts)
            #expect(shares.count == parts)
            #expect(shares.first?.points.lowerBound == 0 && shares.last?.points.upperBound == 10)
            #expect(shares.first?.edges.lowerBound == 0 && shares.last?.edges.upperBound == heads.count)
            for (a, b) in zip(shares, shares.dropFirst()) {
                #expect(a.points.upperBound == b.points.lowerBound && a.edges.upperBound == b.edges.lowerBound)
            }
            for share in shares {
                #expect(!share.points.isEmpty)
                #expect(share.edges.allSatisfy { share.points.contains(Int(heads[$0])) })
            }
        }
    }

    /// The default part count is a constant, so a run's map does not depend on `--threads` or the machine.
    @Test func theDefaultMapIsTheSameAtAnyThreadCount() {
        var maps: [FeatureMap] = []
        for threads in [1, 3] {
            let saved = Parallelism.workerCount
            Parallelism.setWorkerCount(threads)
            defer { Parallelism.setWorkerCount(saved) }
            maps.append(FeatureMap(decoder: Self.expected.decoder, neighbors: Self.table))
        }
        #expect(maps[0].parameters.parts > 1)
        #expect(maps[0].coordinates == maps[1].coordinates)
    }

    @Test func neighbourTableIsTheSameAtAnyThreadCount() {
        let e = Self.expected
        var tables: [NeighborTable] = []
        for threads in [1, 3] {
            let saved = Parallelism.workerCount
            Parallelism.setWorkerCount(threads)
            defer { Parallelism.setWorkerCount(saved) }
            var table = NeighborTable(dSae: e.n, k: 32)
            DecoderSimilarity(decoder: e.decoder).forEachBlock(rowsPerBlock: 100) { rows, block in table.fill(rows: rows, block: block) }
            tables.append(table)
        }
        #expect(tables[0] == tables[1])
    }
}
