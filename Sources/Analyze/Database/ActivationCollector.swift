import Formats
import Foundation
import SAECore

/// The streaming end of the pipeline for SAE codes: each batch goes to the on-disk database and to the
/// per-feature accumulators (statistics, top examples) in one call, so the codes are touched once while hot.
public struct ActivationCollector {
    public let writer: ActivationDatabaseWriter
    public private(set) var statistics: FeatureStatistics
    public private(set) var topExamples: TopExamples

    /// Creates the database column files under `directory` (which must not exist yet).
    public init(directory: URL, dSae: Int, topExamples k: Int = FeatureAnalysisOptions().topExamples) throws {
        writer = try ActivationDatabaseWriter(directory: directory, dSae: dSae)
        statistics = FeatureStatistics(dSae: dSae)
        topExamples = TopExamples(dSae: dSae, k: k)
    }

    /// Continues a database from a checkpoint: cuts its columns back to `rows` rows and `nonzeros` activations,
    /// and rebuilds the statistics and top examples by reading those rows again (in order, so the result is what an
    /// uninterrupted run holds at that point).
    public init(
        resuming directory: URL, dSae: Int, rows: Int, nonzeros: Int,
        topExamples k: Int = FeatureAnalysisOptions().topExamples
    ) throws {
        writer = try ActivationDatabaseWriter(resuming: directory, dSae: dSae, rows: rows, nonzeros: nonzeros)
        try writer.synchronize()
        statistics = FeatureStatistics(dSae: dSae)
        topExamples = TopExamples(dSae: dSae, k: k)
        let existing = try ActivationDatabase(directory: directory, dSae: dSae)
        existing.forEachRow { row, features, values in
            statistics.add(features: features, values: values)
            topExamples.add(row: row, features: features, values: values)
        }
    }

    /// Appends every row of `database` (one shard of a run), as if its batches had been added here.
    public mutating func append(_ database: ActivationDatabase) throws {
        guard database.dSae == writer.dSae else {
            throw InputError(
                "the shard's database has \(database.dSae) features, expected \(writer.dSae)",
                url: database.directory)
        }
        try database.forEachRow { row, features, values in
            let target = writer.count
            try writer.append(token: database.token(row), features: features, values: values)
            statistics.add(features: features, values: values)
            topExamples.add(row: target, features: features, values: values)
        }
    }

    /// Appends a batch: `tokens[t]` describes row `t` of `codes`.
    public mutating func add(_ codes: SparseCodes, tokens: [TokenRecord]) throws {
        precondition(codes.rowCount == tokens.count, "\(codes.rowCount) code rows for \(tokens.count) tokens")
        guard codes.dSae == writer.dSae else {
            throw InputError("codes have \(codes.dSae) features, the database \(writer.dSae)")
        }
        try codes.features.withUnsafeBufferPointer { features in
            try codes.values.withUnsafeBufferPointer { values in
                for (t, token) in tokens.enumerated() {
                    let range = codes.range(ofRow: t)
                    let rowFeatures = UnsafeBufferPointer(rebasing: features[range])
                    let rowValues = UnsafeBufferPointer(rebasing: values[range])
                    let row = writer.count
                    try writer.append(token: token, features: rowFeatures, values: rowValues)
                    statistics.add(features: rowFeatures, values: rowValues)
                    topExamples.add(row: row, features: rowFeatures, values: rowValues)
                }
            }
        }
    }

    /// Closes the database for reading.
    public func finish() throws -> ActivationDatabase { try writer.finish() }
}
