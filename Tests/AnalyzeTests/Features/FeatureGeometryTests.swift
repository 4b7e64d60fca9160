@testable import Analyze
@testable import Formats
import Foundation
import Testing
import TestSupport

/// Decoder similarity, co-occurrence, neighbour lists, average linkage and logit effects against numpy/scipy.
@Suite struct FeatureGeometryTests {
    let input = FeatureFixtures.input
    let expected = FeatureFixtures.expected
    var m: Int { input.n_features }

    @Test(arguments: DecoderSimilarity.Metric.allCases)
    func decoderSimilarityMatchesNumpy(_ metric: DecoderSimilarity.Metric) {
        let similarity = DecoderSimilarity(decoder: input.decoder, metric: metric)
        let want = expected.similarity[metric.rawValue]!
        var seen = 0
        similarity.forEachBlock(rowsPerBlock: 7) { rows, block in
            for (offset, i) in rows.enumerated() {
                for j in 0..<m {
                    let value = Double(block[offset * m + j])
                    // −sqrt of a float32 cancellation near 0 is only accurate to ~1e-3 absolute.
                    #expect(isClose(value, want[i * m + j], absolute: metric == .euclidean ? 2e-3 : 1e-5), "\(metric) \(i),\(j)")
                }
            }
            seen += rows.count
        }
        #expect(seen == m)
        #expect(isClose(similarity.value(3, 5), want[3 * m + 5], absolute: 2e-3))
    }

    @Test func decoderNeighborsMatchNumpy() {
        let similarity = DecoderSimilarity(decoder: input.decoder)
        var table = NeighborTable(dSae: m, k: 32)
        similarity.forEachBlock(rowsPerBlock: 10) { rows, block in table.fill(rows: rows, block: block) }
        for i in 0..<m {
            let want = expected.decoder_neighbors
            #expect(table.indices[i * 32..<(i + 1) * 32].map(Int.init) == want.indices[i], "neighbours of \(i)")
            #expect(zip(table.values[i * 32..<(i + 1) * 32], want.values[i]).allSatisfy { isClose(Double($0), $1) })
        }
        #expect(table.neighbors(of: 0).first?.feature == 1)  // the near-duplicate decoder row
    }

    @Test(arguments: [64, 10, 1])
    func cooccurrenceCountsMatchScipy(blockRows: Int) throws {
        let scratch = try ScratchDirectory()
        let (database, _, _) = try FeatureFixtures.database(in: scratch.url)
        for start in stride(from: 0, to: m, by: blockRows) {
            let counts = CooccurrenceCounts(database: database, rows: start..<min(start + blockRows, m), threads: blockRows % 3 + 1)
            for i in counts.rows {
                for j in 0..<m { #expect(Int(counts.joint(i, j)) == expected.joint_counts[i * m + j], "J[\(i),\(j)]") }
            }
        }
        let some = [3, 10, 11, 60]
        let among = CooccurrenceCounts.among(some, in: database)
        for (a, i) in some.enumerated() {
            for (b, j) in some.enumerated() { #expect(Int(among[a * 4 + b]) == expected.joint_counts[i * m + j]) }
        }
    }

    @Test(arguments: CooccurrenceMeasure.allCases)
    func cooccurrenceMeasuresMatchNumpy(_ measure: CooccurrenceMeasure) {
        let counts = expected.stats.count.map(Double.init)
        let want = expected.cooccurrence[measure.rawValue]!
        for i in 0..<m {
            for j in 0..<m {
                let value = measure.value(
                    joint: Double(expected.joint_counts[i * m + j]), countI: counts[i],
                    countJ: counts[j], tokens: Double(expected.n_tokens))
                #expect(isClose(Double(Float(value)), want[i * m + j]), "\(measure) \(i),\(j)")
            }
        }
    }

    @Test func analysisWritesMatricesAndNeighbors() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        var options = FeatureFixtures.options
        options.cooccurrenceBlockBytes = 4 * m * 9  // several passes of 9 rows
        let simURL = scratch.url.appendingPathComponent("sim.npy"), coURL = scratch.url.appendingPathComponent("co.npy")
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top,
            decoder: input.decoder, options: options,
            similarityMatrix: simURL, cooccurrenceMatrix: coURL)
        let sim = try NPY.read(simURL), co = try NPY.read(coURL)
        #expect(sim.shape == [m, m] && co.shape == [m, m] && sim.dtype == .float32)
        #expect(zip(try sim.doubleValues(), expected.similarity["cosine"]!).allSatisfy { isClose($0, $1) })
        #expect(zip(try co.doubleValues(), expected.cooccurrence["phi"]!).allSatisfy { isClose($0, $1) })
        let want = expected.cooccurrence_neighbors
        for i in 0..<m {
            #expect(analysis.cooccurrenceNeighbors.indices[i * 32..<(i + 1) * 32].map(Int.init) == want.indices[i], "co-neighbours of \(i)")
            #expect(zip(analysis.cooccurrenceNeighbors.values[i * 32..<(i + 1) * 32], want.values[i]).allSatisfy { isClose(Double($0), $1) })
        }
        #expect(analysis.cooccurrenceNeighbors.indices[60 * 32..<61 * 32].allSatisfy { $0 == -1 })

        options.denseMatrices = .never
        try FileManager.default.removeItem(at: simURL)
        _ = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top, decoder: input.decoder,
            options: options, similarityMatrix: simURL, cooccurrenceMatrix: coURL)
        #expect(!FileManager.default.fileExists(atPath: simURL.path))
    }

    @Test func averageLinkageMatchesScipy() {
        let want = expected.clustering
        let phi = expected.cooccurrence["phi"]!
        let n = want.features.count
        var distances = [Double](repeating: 0, count: n * n)
        for (a, i) in want.features.enumerated() {
            for (b, j) in want.features.enumerated() where a != b {
                distances[a * n + b] = min(max(1 - abs(Double(Float(phi[i * m + j]))), 0), 2)
            }
        }
        let linkage = AverageLinkage(distances: distances, count: n)
        #expect(linkage.merges.count == n - 1)
        for (merge, row) in zip(linkage.merges, want.linkage) {
            #expect(merge.left == Int(row[0]) && merge.right == Int(row[1]) && merge.size == Int(row[3]))
            #expect(isClose(merge.height, row[2]))
        }
        #expect(linkage.leafOrder.map { want.features[$0] } == want.order)
        let byHeight = linkage.clusters(maximumHeight: expected.parameters.cluster_threshold)
        #expect(byHeight.map { $0.map { want.features[$0] } } == want.cuts["distance"]!.map(\.members))
        let byCount = linkage.clusters(count: expected.parameters.cluster_count)
        #expect(byCount.map { $0.map { want.features[$0] } } == want.cuts["maxclust"]!.map(\.members))
    }

    @Test func clusteringSelectsAndDescribesLikeTheNotebook() throws {
        let scratch = try ScratchDirectory()
        let (database, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        var options = FeatureFixtures.options
        options.clusterCut = .count(expected.parameters.cluster_count)
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top,
            decoder: input.decoder, options: options)
        let clustering = analysis.clustering
        #expect(clustering.features == expected.clustering.features)
        #expect(clustering.order == expected.clustering.order)
        let want = expected.clustering.cuts["maxclust"]!.filter { $0.members.count >= 2 }
        #expect(clustering.clusters.map(\.members) == want.map(\.members))
        for (cluster, stats) in zip(clustering.clusters, want) {
            #expect(isClose(cluster.meanCooccurrence, stats.mean_cooccurrence!))
            #expect(isClose(cluster.meanDecoderCosine, stats.mean_decoder_cosine!))
            #expect(cluster.topTokens.allSatisfy { $0.count >= 1 && $0.count <= cluster.members.count })
            for member in cluster.members { #expect(clustering.assignment[member] == cluster.id) }
        }
        #expect(clustering.assignment[63] == nil)
    }

    @Test func logitEffectsMatchNumpy() throws {
        let effects = try LogitEffects(decoder: input.decoder, unembedding: input.unembedding, k: 10, blockBytes: 16)
        for f in 0..<m {
            let (promoted, suppressed) = effects.effects(of: f)
            let want = expected.logit_effects[f]
            #expect(promoted.map(\.tokenID) == want.promoted.map { Int($0[0]) }, "promoted by \(f)")
            #expect(suppressed.map(\.tokenID) == want.suppressed.map { Int($0[0]) }, "suppressed by \(f)")
            #expect(zip(promoted, want.promoted).allSatisfy { isClose(Double($0.value), $1[1]) })
            #expect(zip(suppressed, want.suppressed).allSatisfy { isClose(Double($0.value), $1[1]) })
        }
        #expect(throws: InputError.self) {
            _ = try LogitEffects(decoder: input.decoder, unembedding: FloatTensor(shape: [3, 5], values: Array(repeating: 0, count: 15)))
        }
    }

    @Test func handlesAnEmptyCorpusAndRejectsAMismatchedDecoder() throws {
        let scratch = try ScratchDirectory()
        let database = try ActivationDatabaseWriter(directory: scratch.url.appendingPathComponent("db"), dSae: m).finish()
        let statistics = FeatureStatistics(dSae: m), top = TopExamples(dSae: m, k: 5)
        let coURL = scratch.url.appendingPathComponent("co.npy")
        let analysis = try FeatureAnalysis(
            database: database, statistics: statistics, topExamples: top,
            decoder: input.decoder, cooccurrenceMatrix: coURL)
        #expect(analysis.reports.isEmpty && analysis.clustering.clusters.isEmpty && analysis.clustering.order.isEmpty)
        #expect(analysis.cooccurrenceNeighbors.indices.allSatisfy { $0 == -1 })
        #expect(try NPY.read(coURL).doubleValues().allSatisfy { $0 == 0 })
        #expect(throws: InputError.self) {
            _ = try FeatureAnalysis(
                database: database, statistics: statistics, topExamples: top,
                decoder: FloatTensor(shape: [m - 1, 2], values: Array(repeating: 1, count: 2 * (m - 1))))
        }
    }
}
