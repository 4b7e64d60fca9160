import Formats
import Foundation
import Parallelism

/// Writes a run's analysis directory (docs/artifacts.md): the seed's layout and schemas, plus our files and keys.
///
/// Usage: create a `StagedAnalysisDirectory`, run `FeatureAnalysis` with its matrix URLs
/// (`staged.url(layout.similarityMatrix)`, ...), then call `write`, which fills in every other file, writes
/// `SUMMARY` last with the files that exist, and commits the directory.
public enum ArtifactWriter {
    /// Writes everything and moves the staged directory into place; returns the `files{}` map written to SUMMARY.
    @discardableResult
    public static func write(
        _ staged: StagedAnalysisDirectory, run: AnalysisRunInfo, database: ActivationDatabase?,
        analysis: FeatureAnalysis, tokenTexts: ([Int32]) -> [String],
        trainingHistoryPNG: Data? = nil
    ) throws -> [(String, String)] {
        let layout = staged.layout
        if let database {
            try database.writeCSR(to: staged.url(layout.activationDatabase))
            try database.writeTokenTable(to: staged.url(layout.tokenTable))
        }
        try write(run.config.pretty, to: staged.url(layout.config))
        try writeFeatureSummaries(analysis, tokenTexts: tokenTexts, to: staged.url(layout.featureSummaries))
        try write(featureTable(analysis).pretty, to: staged.url(layout.featureTable))
        try write(clusters(analysis, tokenTexts: tokenTexts).pretty, to: staged.url(layout.clusters))
        try NPZ.write(
            arrays: [
                ("decoder_indices", NPYArray(analysis.decoderNeighbors.indices, shape: [analysis.statistics.dSae, analysis.decoderNeighbors.k])),
                ("decoder_values", NPYArray(analysis.decoderNeighbors.values, shape: [analysis.statistics.dSae, analysis.decoderNeighbors.k])),
                (
                    "cooccurrence_indices",
                    NPYArray(analysis.cooccurrenceNeighbors.indices, shape: [analysis.statistics.dSae, analysis.cooccurrenceNeighbors.k])
                ),
                ("cooccurrence_values", NPYArray(analysis.cooccurrenceNeighbors.values, shape: [analysis.statistics.dSae, analysis.cooccurrenceNeighbors.k])),
                ("correlation_indices", NPYArray(analysis.correlationNeighbors.indices, shape: [analysis.statistics.dSae, analysis.correlationNeighbors.k])),
                ("correlation_values", NPYArray(analysis.correlationNeighbors.values, shape: [analysis.statistics.dSae, analysis.correlationNeighbors.k])),
            ], to: staged.url(layout.neighbors), compressed: false)
        if let map = analysis.featureMap {
            try NPY.write(map.coordinates, shape: [map.pointCount, 2], to: staged.url(layout.featureMap))
        }
        if let texts = analysis.sampledTexts {
            try write(SampledTextsDocument.json(texts, tokenTexts: tokenTexts).compact, to: staged.url(layout.sampledTexts))
        }
        if let png = trainingHistoryPNG { try png.write(to: staged.url(layout.trainingHistoryPlot)) }

        let results = analysisResults(run: run, analysis: analysis, layout: layout)
        try write(results.pretty, to: staged.url(layout.results))

        let candidates: [(String, String)] = [
            ("activation_db", layout.activationDatabase), ("similarity_matrix", layout.similarityMatrix),
            ("cooccurrence_matrix", layout.cooccurrenceMatrix), ("results", layout.results),
            ("feature_summaries", layout.featureSummaries), ("config", layout.config), ("readme", layout.readme),
            ("token_table", layout.tokenTable), ("feature_table", layout.featureTable), ("neighbors", layout.neighbors),
            ("feature_map", layout.featureMap),
            ("clusters", layout.clusters), ("training_history_plot", layout.trainingHistoryPlot),
            ("feature_labels", layout.featureLabels), ("texts", layout.sampledTexts),
        ]
        // The README is written next; every other file must exist in the staging directory (or already in the
        // destination, for the labels an earlier labeling run left there).
        let files = candidates.filter { key, path in
            key == "readme" || staged.exists(path)
                || FileManager.default.fileExists(atPath: staged.destination.appendingPathComponent(path).path)
        }
        let summary = summary(run: run, analysis: analysis, layout: layout, files: files)
        try write(
            ReadmeReport.markdown(run: run, analysis: analysis, layout: layout, files: files),
            to: staged.url(layout.readme))
        try write(summary.pretty, to: staged.url(layout.summary))
        try staged.commit()
        return files
    }

    static func write(_ text: String, to url: URL) throws {
        do { try Data(text.utf8).write(to: url) } catch {
            throw InputError("cannot write file (\(error.localizedDescription))", url: url)
        }
    }

    static func writeFeatureSummaries(_ analysis: FeatureAnalysis, tokenTexts: ([Int32]) -> [String], to url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw InputError("cannot create file", url: url) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        // The lines are built in parallel, chunk by chunk (a few workers' worth at a time, so memory stays bounded),
        // and written in feature order: building them is most of the writing time.
        let reports = analysis.reports, linesPerChunk = 64
        let chunksPerRound = 4 * Parallelism.workerCount
        for roundStart in stride(from: 0, to: reports.count, by: linesPerChunk * chunksPerRound) {
            let roundEnd = min(reports.count, roundStart + linesPerChunk * chunksPerRound)
            let chunks = try Parallelism.map((roundEnd - roundStart + linesPerChunk - 1) / linesPerChunk) { chunk -> [UInt8] in
                let start = roundStart + chunk * linesPerChunk
                var buffer: [UInt8] = []
                for report in reports[start..<min(roundEnd, start + linesPerChunk)] {
                    FeatureSummaryRecord.json(report, analysis: analysis, tokenTexts: tokenTexts).appendCompact(to: &buffer)
                    buffer.append(UInt8(ascii: "\n"))
                }
                return buffer
            }
            for chunk in chunks { try handle.write(contentsOf: Data(chunk)) }
        }
    }

    static func featureTable(_ analysis: FeatureAnalysis) -> OrderedJSON {
        let s = analysis.statistics
        let m = s.dSae
        return .object([
            ("n_features", .int(m)),
            ("activation_count", .array(s.counts.map(OrderedJSON.int))),
            ("frequency", .array((0..<m).map { .double(s.frequency($0)) })),
            ("mean_activation", .array((0..<m).map { .double(s.meanActivation($0)) })),
            ("max_activation", .array(s.maxima.map(OrderedJSON.float))),
            ("cluster", .array(analysis.clustering.assignment.map { $0.map(OrderedJSON.int) ?? .null })),
        ])
    }

    static func clusters(_ analysis: FeatureAnalysis, tokenTexts: ([Int32]) -> [String]) -> OrderedJSON {
        let options = analysis.options
        let cut: [(String, OrderedJSON)] =
            switch options.clusterCut {
            case .maximumHeight(let height): [("criterion", .string("distance")), ("max_distance", .double(height))]
            case .count(let count): [("criterion", .string("maxclust")), ("n_clusters", .int(count))]
            }
        let clustering = analysis.clustering
        return .object([
            ("method", .string("average_linkage")),
            ("seed", .int(Int(truncatingIfNeeded: options.seed))),
            (
                "params",
                .object(
                    [
                        ("distance", .string("1 - |phi|, clipped to [0, 2]")),
                        ("selection", .string("top features by variance of their phi co-occurrence row")),
                        ("n_features", .int(clustering.features.count)),
                        ("max_features", .int(options.clusterFeatures)),
                        ("min_cluster_size", .int(options.minimumClusterSize)),
                    ] + cut)
            ),
            ("order", .array(clustering.order.map(OrderedJSON.int))),
            (
                "merges",
                .array(
                    clustering.linkage.merges.map {
                        .array([.int($0.left), .int($0.right), .double($0.height), .int($0.size)])
                    })
            ),
            (
                "clusters",
                .array(
                    clustering.clusters.map { cluster in
                        .object([
                            ("id", .int(cluster.id)),
                            ("members", .array(cluster.members.map(OrderedJSON.int))),
                            ("size", .int(cluster.members.count)),
                            ("mean_cooccurrence", .double(cluster.meanCooccurrence)),
                            ("mean_decoder_cosine", .double(cluster.meanDecoderCosine)),
                            (
                                "top_tokens",
                                .array(
                                    cluster.topTokens.map {
                                        .object([
                                            ("token", .string(tokenTexts([$0.tokenID])[0])), ("token_id", .int(Int($0.tokenID))),
                                            ("count", .int($0.count)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
        ])
    }

    /// The run's results document plus the feature-derived keys.
    static func analysisResults(run: AnalysisRunInfo, analysis: FeatureAnalysis, layout: AnalysisLayout) -> OrderedJSON {
        var results = run.results.document
        var histograms = results["histograms"] ?? .object([])
        histograms.set("feature_log10_frequency", log10FrequencyHistogram(analysis.statistics))
        results.set("histograms", histograms)
        results.set("feature_summaries", .string(layout.featureSummaries))
        return results
    }

    /// Quarter-decade bins of log10(frequency) over the features that fired, from the lowest one up to 0.
    static func log10FrequencyHistogram(_ s: FeatureStatistics) -> OrderedJSON {
        let logs = (0..<s.dSae).filter { s.counts[$0] > 0 }.map { log10(s.frequency($0)) }
        let never = s.counts.filter { $0 == 0 }.count
        guard let lowest = logs.min() else {
            return .object([("edges", .array([])), ("counts", .array([])), ("n_never_fired", .int(never))])
        }
        let start = (min(lowest, -0.25) * 4).rounded(.down) / 4
        let binCount = Int((-start * 4).rounded())
        let edges = (0...binCount).map { start + Double($0) / 4 }
        var counts = [Int](repeating: 0, count: binCount)
        for value in logs { counts[min(max(Int(((value - start) * 4).rounded(.down)), 0), binCount - 1)] += 1 }
        return .object([
            ("edges", .array(edges.map(OrderedJSON.double))), ("counts", .array(counts.map(OrderedJSON.int))),
            ("n_never_fired", .int(never)),
        ])
    }

    static func summary(
        run: AnalysisRunInfo, analysis: FeatureAnalysis, layout: AnalysisLayout,
        files: [(String, String)]
    ) -> OrderedJSON {
        let results = run.results, sparsity = results.headlineSparsity, reconstruction = results.headlineReconstruction
        let ablation = results.headlineAblation
        let s = analysis.statistics
        var ablationBlock: OrderedJSON = .object([
            ("baseline_loss", .number(ablation?.baselineLoss)),
            ("zero_ablation_loss", .number(ablation?.zeroAblationLoss)),
            ("sae_reconstruction_loss", .number(ablation?.saeReconstructionLoss)),
            ("loss_recovered", .number(ablation?.lossRecovered)),
        ])
        if ablation == nil, let reason = results.ablationNotComputed {
            ablationBlock = AnalysisResults.ablationNotComputedBlock(reason)
        }
        return .object([
            ("timestamp", .string(layout.timestamp)),
            ("model", .string(run.model)),
            ("sae_path", .string(run.saePath)),
            ("layer", .int(run.layer)),
            ("hook_name", .string(run.hookName)),
            ("dataset_size", .int(run.datasetSize)),
            ("n_tokens_processed", .int(s.tokenCount)),
            ("n_features", .int(s.dSae)),
            (
                "sparsity",
                .object([
                    ("l0_mean", .number(sparsity.l0Mean)), ("l0_std", .number(sparsity.l0Std)),
                    ("l1_mean", .number(sparsity.l1Mean)), ("l1_std", .number(sparsity.l1Std)),
                ])
            ),
            (
                "dead_features",
                .object([
                    ("n_dead", .int(results.deadFeatureIDs.count)),
                    ("pct_dead", .double(results.deadPercent)),
                ])
            ),
            (
                "reconstruction",
                .object([
                    ("mse", .number(reconstruction.mse)),
                    ("explained_variance", .number(reconstruction.explainedVariance)),
                    ("cosine_similarity", .number(reconstruction.cosineSimilarity)),
                ])
            ),
            (
                "ablation",
                ablationBlock
            ),
            ("top_features", .array(s.mostActive(10).map(OrderedJSON.int))),
            ("excluded_positions", results.run.excluded.json),
            ("warnings", .array(results.warnings.map(OrderedJSON.string))),
            ("files", .object(files.map { ($0.0, .string($0.1)) })),
        ])
    }
}
