import Analyze
import SAECore

extension AnalysisResults {
    /// The results of a run that measured sparsity over every row of `database` and nothing else (no reconstruction,
    /// no ablation): what the artifact writer needs when a test or benchmark writes a directory without a model.
    public static func sparsityOnly(of database: ActivationDatabase, warnings: [String] = []) -> AnalysisResults {
        var sparsity = SparsityAccumulator(dSae: database.dSae)
        for row in 0..<database.rowCount {
            let (features, values) = database.row(row)
            sparsity.add(
                SparseCodes(
                    dSae: database.dSae, rowStarts: [0, features.count],
                    features: Array(features), values: Array(values)), isFirst: [false])
        }
        return AnalysisResults(
            primary: .allTokens, dSae: database.dSae, sparsity: sparsity.result,
            reconstruction: ReconstructionAccumulator(dimension: 1).result, downstream: nil, warnings: warnings,
            run: .init(
                texts: 0, textsUsed: 0, tokens: database.rowCount, ablatedTokens: 0, skipped: [], timings: [],
                passSeconds: 0, forwardSeconds: 0, ablationSeconds: 0, topKMode: nil, topKThreshold: nil,
                provenance: []))
    }
}
