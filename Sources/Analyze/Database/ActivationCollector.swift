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
    public init(directory: URL, featureCount: Int, topExamples k: Int = FeatureAnalysisOptions().topExamples) throws {
        writer = try ActivationDatabaseWriter(directory: directory, featureCount: featureCount)
        statistics = FeatureStatistics(featureCount: featureCount)
        topExamples = TopExamples(featureCount: featureCount, k: k)
    }

    /// Continues a database from a checkpoint: cuts its columns back to `rows` rows and `nonzeros` activations,
    /// and rebuilds the statistics and top examples by reading those rows again (in order, so the result is what an
    /// uninterrupted run holds at that point).
    public init(resuming directory: URL, featureCount: Int, rows: Int, nonzeros: Int,
                topExamples k: Int = FeatureAnalysisOptions().topExamples) throws {
        writer = try ActivationDatabaseWriter(resuming: directory, featureCount: featureCount, rows: rows, nonzeros: nonzeros)
        try writer.synchronize()
        statistics = FeatureStatistics(featureCount: featureCount)
        topExamples = TopExamples(featureCount: featureCount, k: k)
        let existing = try ActivationDatabase(directory: directory, featureCount: featureCount)
        existing.forEachRow { row, features, values in
            statistics.add(features: features, values: values)
            topExamples.add(row: row, features: features, values: values)
        }
    }

    /// Appends every row of `database` (one shard of a run), as if its batches had been added here.
    public mutating func append(_ database: ActivationDatabase) throws {
        guard database.featureCount == writer.featureCount else {
            throw InputError("the shard's database has \(database.featureCount) features, expected \(writer.featureCount)",
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
        guard codes.featureCount == writer.featureCount else {
            throw InputError("codes have \(codes.featureCount) features, the database \(writer.featureCount)")
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
