@testable import Analyze
@testable import Formats
import Foundation
@testable import SAECore
import Testing
import TestSupport

@Suite struct ActivationDatabaseTests {
    let input = FeatureFixtures.input

    @Test func readsBackEveryRowAndToken() throws {
        let scratch = try ScratchDirectory()
        let (database, _, _) = try FeatureFixtures.database(in: scratch.url)
        #expect(database.rowCount == input.n_tokens)
        #expect(database.nonzeroCount == FeatureFixtures.expected.nnz)
        for row in 0..<input.n_tokens {
            let (features, values) = database.row(row)
            let range = input.indptr[row]..<input.indptr[row + 1]
            #expect(Array(features) == Array(input.indices[range]))
            #expect(Array(values) == Array(input.data[range]))
            #expect(database.token(row) == input.token(row))
        }
        // Point lookups: stored values, and zeros for features absent from a row.
        #expect(database.value(row: 0, feature: 20) == 5)
        let absent = (0..<input.n_features).first { !database.row(3).features.contains(Int32($0)) }!
        #expect(database.value(row: 3, feature: absent) == 0)
    }

    @Test func findsTextBoundariesWithoutScanning() throws {
        let scratch = try ScratchDirectory()
        let (database, _, _) = try FeatureFixtures.database(in: scratch.url)
        var start = 0
        for length in input.text_lengths {
            for row in [start, start + length / 2, start + length - 1] {
                #expect(database.textRows(containing: row) == start..<start + length)
            }
            start += length
        }
        #expect(database.contextRows(around: 0, radius: 10) == 0..<11)
        let last = input.n_tokens - 1
        #expect(database.contextRows(around: last, radius: 10) == max(last - 10, last - Int(input.position[last]))..<last + 1)
    }

    @Test func writesScipyCSRAndTokenTable() throws {
        let scratch = try ScratchDirectory()
        let (database, _, _) = try FeatureFixtures.database(in: scratch.url)
        let csrURL = scratch.url.appendingPathComponent("activation_db.npz")
        try database.writeCSR(to: csrURL)
        let csr = try SparseCSR.read(from: csrURL)
        #expect(csr.shape.rows == input.n_tokens && csr.shape.columns == input.n_features)
        #expect(csr.indptr == input.indptr.map(Int64.init))
        #expect(csr.indices == input.indices)
        #expect(csr.data == input.data)
        let arrays = try NPZ.read(csrURL)
        #expect(arrays["data"]?.dtype == .float32 && arrays["indices"]?.dtype == .int32 && arrays["indptr"]?.dtype == .int64)

        let tokensURL = scratch.url.appendingPathComponent("tokens.npz")
        try database.writeTokenTable(to: tokensURL)
        let tokens = try NPZ.read(tokensURL)
        #expect(try tokens["token_id"]?.int32Values() == input.token_id)
        #expect(try tokens["text_idx"]?.int32Values() == input.text_idx)
        #expect(try tokens["position"]?.int32Values() == input.position)
        #expect(tokens["position"]?.dtype == .int32)
    }

    @Test func sortsRowsAndKeepsOnlyPositiveValues() throws {
        let scratch = try ScratchDirectory()
        let writer = try ActivationDatabaseWriter(directory: scratch.url.appendingPathComponent("db"), dSae: 8)
        let token = TokenRecord(tokenID: 1, textIndex: 0, position: 0)
        try writer.append(token: token, features: [5, 2, 7, 1], values: [0.5, 2, 0, -3])
        try writer.append(token: token, features: [Int32](), values: [Float]())
        let database = try writer.finish()
        #expect(Array(database.row(0).features) == [2, 5])
        #expect(Array(database.row(0).values) == [2, 0.5])
        #expect(database.row(1).features.isEmpty)
    }

    @Test func rejectsBadRows() throws {
        let scratch = try ScratchDirectory()
        let writer = try ActivationDatabaseWriter(directory: scratch.url.appendingPathComponent("db"), dSae: 8)
        let token = TokenRecord(tokenID: 1, textIndex: 0, position: 0)
        #expect(throws: InputError.self) { try writer.append(token: token, features: [8], values: [1]) }
        #expect(throws: InputError.self) { try writer.append(token: token, features: [-1], values: [1]) }
        #expect(throws: InputError.self) { try writer.append(token: token, features: [3], values: [.nan]) }
        #expect(throws: InputError.self) { try writer.append(token: token, features: [3, 3], values: [1, 2]) }
    }

    @Test func refusesColumnsOfInconsistentLength() throws {
        let scratch = try ScratchDirectory()
        let writer = try ActivationDatabaseWriter(directory: scratch.url.appendingPathComponent("db"), dSae: 8)
        try writer.append(token: TokenRecord(tokenID: 1, textIndex: 0, position: 0), features: [1], values: [1])
        let database = try writer.finish()
        let handle = try FileHandle(forWritingTo: database.directory.appendingPathComponent("data.f32"))
        try handle.truncate(atOffset: 0)
        try handle.close()
        #expect(throws: InputError.self) {
            _ = try ActivationDatabase(directory: database.directory, dSae: 8)
        }
    }
}

@Suite struct ActivationCollectorTests {
    @Test func collectsBatchesLikeRowByRowAppends() throws {
        let input = FeatureFixtures.input
        let scratch = try ScratchDirectory()
        var collector = try ActivationCollector(
            directory: scratch.url.appendingPathComponent("c"),
            dSae: input.n_features, topExamples: 25)
        // Uneven batches of the fixture's rows.
        var start = 0
        for size in [1, 37, 200, 262] {
            let rows = start..<start + size
            let base = input.indptr[rows.lowerBound]
            let codes = SparseCodes(
                dSae: input.n_features,
                rowStarts: input.indptr[rows.lowerBound...rows.upperBound].map { $0 - base },
                features: Array(input.indices[base..<input.indptr[rows.upperBound]]),
                values: Array(input.data[base..<input.indptr[rows.upperBound]]))
            try collector.add(codes, tokens: rows.map(input.token))
            start += size
        }
        let database = try collector.finish()
        let (reference, statistics, top) = try FeatureFixtures.database(in: scratch.url)
        #expect(database.rowCount == reference.rowCount && database.nonzeroCount == reference.nonzeroCount)
        #expect(collector.statistics.counts == statistics.counts && collector.statistics.maxima == statistics.maxima)
        for f in 0..<input.n_features { #expect(collector.topExamples.examples(of: f) == top.examples(of: f)) }
        #expect(throws: InputError.self) {
            try collector.add(SparseCodes(dSae: 3), tokens: [])
        }
    }
}
