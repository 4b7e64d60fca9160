import Foundation

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
