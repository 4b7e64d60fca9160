import Analyze
import Formats
import Foundation
import TestSupport
import LMRuntime
import SAECore

/// `sae-bench features CSR.npz W_DEC.npy OUT_DIR`: streams the codes into the activation database, then runs the
/// feature analysis (reports, decoder similarity, co-occurrence, clustering) and the artifact writer, printing
/// each stage's seconds. `scripts/bench/bench-features.sh` runs the numpy/scipy equivalents of the seed beside it.
enum FeaturesBench {
    static func run(_ arguments: [String]) throws {
        guard arguments.count == 3 else { throw InputError("usage: sae-bench features CSR.npz W_DEC.npy OUT_DIR") }
        let csr = try SparseCSR.read(from: URL(fileURLWithPath: arguments[0]))
        let decoder = try NPY.read(URL(fileURLWithPath: arguments[1])).floatTensor()
        let out = URL(fileURLWithPath: arguments[2])
        try? FileManager.default.removeItem(at: out)
        BLAS.configure()
        let m = csr.shape.columns, n = csr.shape.rows

        var start = Date()
        func lap(_ stage: String) {
            print("swift \(stage) s=\(String(format: "%.3f", Date().timeIntervalSince(start)))")
            start = Date()
        }
        var collector = try ActivationCollector(directory: out.appendingPathComponent("db"), dSae: m)
        let batch = 4096
        for first in stride(from: 0, to: n, by: batch) {
            let rows = first..<min(first + batch, n)
            let base = Int(csr.indptr[rows.lowerBound]), end = Int(csr.indptr[rows.upperBound])
            let codes = SparseCodes(
                dSae: m, rowStarts: csr.indptr[rows.lowerBound...rows.upperBound].map { Int($0) - base },
                features: Array(csr.indices[base..<end]), values: Array(csr.data[base..<end]))
            try collector.add(codes, tokens: rows.map { TokenRecord(tokenID: Int32($0 % 50_000), textIndex: Int32($0 / 64), position: Int32($0 % 64)) })
        }
        let database = try collector.finish()
        lap("collect")
        let layout = AnalysisLayout(timestamp: "20260101_000000")
        let staged = try StagedAnalysisDirectory(destination: out.appendingPathComponent("analysis"), layout: layout)
        let analysis = try FeatureAnalysis(
            database: database, statistics: collector.statistics,
            topExamples: collector.topExamples, decoder: decoder,
            similarityMatrix: staged.url(layout.similarityMatrix),
            cooccurrenceMatrix: staged.url(layout.cooccurrenceMatrix))
        for (stage, seconds) in analysis.timings { print("swift \(stage) s=\(String(format: "%.3f", seconds))") }
        start = Date()
        try ArtifactWriter.write(
            staged,
            run: AnalysisRunInfo(
                model: "bench", saePath: "bench", layer: 0, hookName: "hook_resid_post",
                datasetSize: n / 64, config: .object([]),
                results: .sparsityOnly(of: database)),
            database: database, analysis: analysis, tokenTexts: { $0.map { "t\($0)" } })
        lap("artifacts")
        print("swift tokens=\(n) features=\(m) nnz=\(database.nonzeroCount)")
    }
}
