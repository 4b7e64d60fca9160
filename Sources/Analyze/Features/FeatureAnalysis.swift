import Formats
import Foundation
import LMRuntime
import Parallelism

/// The end-of-run analysis over a finished activation database: per-feature histograms, interval samples and
/// example contexts, decoder and co-occurrence neighbours (and dense matrices), clusters and logit effects.
///
/// Streaming state comes in from the caller (`FeatureStatistics` and `TopExamples`, fed while the codes were
/// produced); everything else is read back from the on-disk database in a few sequential passes:
/// 1. one pass for histograms (log-spaced between each feature's min and max, which the streaming pass found)
///    and interval samples (equal-width intervals up to the max) — the reason these are not streamed;
/// 2. one pass per block of co-occurrence rows, which also sums the activation products for the Pearson
///    correlations (one pass in total when `d_sae² × 12 B` fits the budget);
/// 3. one pass for the co-occurrence among the clustered features;
/// plus random row reads for the ±radius contexts of the selected examples.
public struct FeatureAnalysis: Sendable {
    public var statistics: FeatureStatistics
    /// Reports of the features that fired, ascending ids.
    public var reports: [FeatureReport]
    public var decoderNeighbors: NeighborTable
    public var cooccurrenceNeighbors: NeighborTable
    /// Features by Pearson correlation of the activations over tokens, among those that fired together.
    public var correlationNeighbors: NeighborTable
    /// The largest `|W_dec[i]|` dimensions of each feature.
    public var neuronAlignment: NeuronAlignment
    /// The 2-D layout of the decoder directions; nil when `options.featureMap` is off.
    public var featureMap: FeatureMap?
    public var clustering: FeatureClustering
    /// nil when no unembedding was given or `options.logitEffects` is 0.
    public var logitEffects: LogitEffects?
    public var options: FeatureAnalysisOptions
    /// The corpus browser's sample (nil when not asked for).
    public var sampledTexts: SampledTexts?
    /// Loss effects of the first top examples (nil without a model, or when not asked for).
    public var lossEffects: ExampleLossEffects?
    /// Wall-clock seconds per stage (`feature_reports`, `decoder_similarity`, `cooccurrence`, `clustering`,
    /// `logit_effects`), for the run's `timings_s`.
    public var timings: [(stage: String, seconds: Double)] = []

    /// Runs the analysis, with an fp32 unembedding `[vocab, d]` if any (see the next initializer).
    public init(
        database: ActivationDatabase, statistics: FeatureStatistics, topExamples: TopExamples,
        decoder: FloatTensor, unembedding: FloatTensor? = nil, finalNormWeight: [Float]? = nil,
        options: FeatureAnalysisOptions = FeatureAnalysisOptions(),
        similarityMatrix: URL? = nil, cooccurrenceMatrix: URL? = nil
    ) throws {
        if let unembedding, unembedding.shape.count != 2 {
            throw InputError("the unembedding has shape \(unembedding.shape), expected [vocab, d]")
        }
        try self.init(
            database: database, statistics: statistics, topExamples: topExamples, decoder: decoder,
            unembedding: unembedding.map { WeightMatrix(rows: $0.shape[0], columns: $0.shape[1], values: $0.values) },
            finalNormWeight: finalNormWeight, options: options, similarityMatrix: similarityMatrix,
            cooccurrenceMatrix: cooccurrenceMatrix)
    }

    /// Runs the analysis. Dense matrices go to `similarityMatrix` / `cooccurrenceMatrix` when those are given
    /// and `options.denseMatrices` allows it. The logit effects (when `unembedding`, `W_U` in the model's storage,
    /// is given) are computed for the features that fired.
    public init(
        database: ActivationDatabase, statistics: FeatureStatistics, topExamples: TopExamples,
        decoder: FloatTensor, unembedding: WeightMatrix?, finalNormWeight: [Float]? = nil,
        options: FeatureAnalysisOptions = FeatureAnalysisOptions(),
        similarityMatrix: URL? = nil, cooccurrenceMatrix: URL? = nil
    ) throws {
        let m = database.dSae
        guard decoder.shape.count == 2, decoder.shape[0] == m else {
            throw InputError("W_dec has shape \(decoder.shape), expected [\(m), d_in]")
        }
        precondition(statistics.dSae == m && topExamples.dSae == m)
        precondition(statistics.tokenCount == database.rowCount, "statistics saw a different number of tokens")
        self.statistics = statistics
        self.options = options
        var clock = Date()
        func lap(_ stage: String) -> (stage: String, seconds: Double) {
            defer { clock = Date() }
            return (stage, Date().timeIntervalSince(clock))
        }
        var timings: [(stage: String, seconds: Double)] = []
        reports = Self.reports(database: database, statistics: statistics, topExamples: topExamples, options: options)

        timings.append(lap("feature_reports"))
        let writesDense = options.denseMatrices.writes(dSae: m)
        let similarity = DecoderSimilarity(decoder: decoder, metric: options.similarityMetric)
        var decoderNeighbors = NeighborTable(dSae: m, k: options.neighbors)
        let similarityFile = try writesDense ? similarityMatrix.map { try NPYStreamWriter(url: $0, rows: m, columns: m) } : nil
        try similarity.forEachBlock { rows, block in
            decoderNeighbors.fill(rows: rows, block: block)
            try similarityFile?.append(block)
        }
        self.decoderNeighbors = decoderNeighbors
        timings.append(lap("decoder_similarity"))
        if options.featureMap {
            var parameters = FeatureMap.Parameters()
            parameters.seed = options.seed
            featureMap = FeatureMap(decoder: decoder, neighbors: decoderNeighbors, parameters: parameters)
            timings.append(lap("feature_map"))
        }

        let cooccurrenceFile = try writesDense ? cooccurrenceMatrix.map { try NPYStreamWriter(url: $0, rows: m, columns: m) } : nil
        var phiVariance = [Double](repeating: 0, count: m)
        var cooccurrenceNeighbors = NeighborTable(dSae: m, k: options.neighbors)
        var correlationNeighbors = NeighborTable(dSae: m, k: options.neighbors)
        // A UInt32 count and a Double product sum per entry of the block.
        let blockRows = max(1, min(m, options.cooccurrenceBlockBytes / (12 * m)))
        let tokens = Double(max(database.rowCount, 1))  // an empty corpus gives 0, not NaN
        var values = [Float](repeating: 0, count: blockRows * m)
        var correlations = [Float](repeating: 0, count: blockRows * m)
        for start in stride(from: 0, to: m, by: blockRows) {
            let rows = start..<min(start + blockRows, m)
            let counts = CooccurrenceCounts(database: database, rows: rows, products: true)
            Self.pearsonBlock(counts, statistics: statistics, into: &correlations)
            correlations.withUnsafeBufferPointer { all in
                correlationNeighbors.fill(rows: rows, block: UnsafeBufferPointer(rebasing: all[0..<rows.count * m])) {
                    i, j in counts.joint(i, j) > 0
                }
            }
            Self.measureBlock(
                counts, featureCounts: statistics.counts, tokens: tokens, measure: options.cooccurrenceMeasure,
                into: &values, phiVariance: &phiVariance)
            values.withUnsafeBufferPointer { all in
                let block = UnsafeBufferPointer(rebasing: all[0..<rows.count * m])
                cooccurrenceNeighbors.fill(rows: rows, block: block) { i, j in counts.joint(i, j) > 0 }
            }
            // Written while the next block (or stage) is computed: the whole array when the block fills it (no copy).
            try cooccurrenceFile?.append(rows.count * m == values.count ? values : Array(values[0..<rows.count * m]))
        }
        self.cooccurrenceNeighbors = cooccurrenceNeighbors
        self.correlationNeighbors = correlationNeighbors
        neuronAlignment = NeuronAlignment(decoder: decoder, k: options.neuronAlignment)
        timings.append(lap("cooccurrence"))

        let fired = (0..<m).filter { statistics.counts[$0] > 0 }
        let chosen = fired.sorted { phiVariance[$0] != phiVariance[$1] ? phiVariance[$0] > phiVariance[$1] : $0 < $1 }
            .prefix(options.clusterFeatures).sorted()
        let jointAmong = CooccurrenceCounts.among(chosen, in: database)
        let n = chosen.count
        var phiAmong = [Float](repeating: 0, count: n * n)
        for a in 0..<n {
            for b in 0..<n {
                phiAmong[a * n + b] = Float(
                    CooccurrenceMeasure.phi.value(
                        joint: Double(jointAmong[a * n + b]), countI: Double(statistics.counts[chosen[a]]),
                        countJ: Double(statistics.counts[chosen[b]]), tokens: tokens))
            }
        }
        let cosine = DecoderSimilarity(decoder: decoder, metric: .cosine)
        let reportedExamples = Dictionary(uniqueKeysWithValues: reports.map { ($0.feature, $0.topExamples) })
        clustering = FeatureClustering(
            features: chosen, cooccurrence: phiAmong, dSae: m, cut: options.clusterCut,
            minimumSize: options.minimumClusterSize, decoderSimilarity: cosine.value,
            topTokens: { feature in reportedExamples[feature, default: []].map(\.token.tokenID) })

        timings.append(lap("clustering"))
        if let unembedding, options.logitEffects > 0 {
            logitEffects = try LogitEffects(
                decoder: decoder, unembedding: unembedding, finalNormWeight: finalNormWeight, features: fired, k: options.logitEffects)
            timings.append(lap("logit_effects"))
        }
        // The dense matrices' last blocks were written while the stages above ran.
        try similarityFile?.close()
        try cooccurrenceFile?.close()
        self.timings = timings
    }

    /// The co-occurrence measure of the rows `counts.rows` with every feature (`rows.count × dSae`, row-major, into
    /// the front of `block`), and the variance of each row's φ (which picks the features to cluster); rows in parallel.
    private static func measureBlock(
        _ counts: CooccurrenceCounts, featureCounts: [Int], tokens: Double, measure: CooccurrenceMeasure,
        into block: inout [Float], phiVariance: inout [Double]
    ) {
        let m = counts.dSae, first = counts.rows.lowerBound
        block.withUnsafeMutableBufferPointer { block in
            phiVariance.withUnsafeMutableBufferPointer { variance in
                let block = block.baseAddress!, variance = variance.baseAddress!
                Parallelism.forEachRange(counts.rows.count, minimumPerWorker: 1) { offsets in
                    for offset in offsets {
                        let i = first + offset, row = block + offset * m
                        let ci = Double(featureCounts[i])
                        var sum = 0.0, squares = 0.0
                        for j in 0..<m {
                            let joint = Double(counts.joint(i, j)), cj = Double(featureCounts[j])
                            let phi = Float(CooccurrenceMeasure.phi.value(joint: joint, countI: ci, countJ: cj, tokens: tokens))
                            sum += Double(phi)
                            squares += Double(phi) * Double(phi)
                            row[j] = measure == .phi ? phi : Float(measure.value(joint: joint, countI: ci, countJ: cj, tokens: tokens))
                        }
                        variance[i] = max(squares / Double(m) - (sum / Double(m)) * (sum / Double(m)), 0)
                    }
                }
            }
        }
    }

    /// Pearson correlations of the rows `counts.rows` with every feature (`rows.count × dSae`, row-major, into the
    /// front of `block`); NaN where a feature has zero variance.
    private static func pearsonBlock(_ counts: CooccurrenceCounts, statistics: FeatureStatistics, into block: inout [Float]) {
        let m = counts.dSae, first = counts.rows.lowerBound
        let sums = statistics.sums, squares = statistics.squareSums
        block.withUnsafeMutableBufferPointer { block in
            let block = block.baseAddress!
            Parallelism.forEachRange(counts.rows.count, minimumPerWorker: 1) { offsets in
                for offset in offsets {
                    let i = first + offset, row = block + offset * m
                    for j in 0..<m {
                        let r = ActivationCorrelation.pearson(
                            tokens: statistics.tokenCount, sumX: sums[i], squareSumX: squares[i], sumY: sums[j],
                            squareSumY: squares[j], productSum: counts.productSum(i, j))
                        row[j] = r.map(Float.init) ?? .nan
                    }
                }
            }
        }
    }

    private static func reports(
        database: ActivationDatabase, statistics: FeatureStatistics, topExamples: TopExamples,
        options: FeatureAnalysisOptions
    ) -> [FeatureReport] {
        let m = database.dSae
        let bins = options.histogramBins
        var edges = [Double](repeating: 0, count: m * (bins + 1))
        var edgeCounts = [Int](repeating: 0, count: m)
        for f in 0..<m where statistics.counts[f] > 0 {
            let histogram = Histogram.logSpaced(from: Double(statistics.minimum(f)), to: Double(statistics.maxima[f]), bins: bins)
            edgeCounts[f] = histogram.edges.count
            for (index, edge) in histogram.edges.enumerated() { edges[f * (bins + 1) + index] = edge }
        }
        var counts = [Int](repeating: 0, count: m * bins)
        var samples = IntervalSamples(
            maxima: statistics.maxima, binCount: options.intervalCount,
            perBin: options.examplesPerInterval, seed: options.seed)
        edges.withUnsafeBufferPointer { allEdges in
            database.forEachRow { row, features, values in
                for (feature, value) in zip(features, values) {
                    let f = Int(feature)
                    let own = UnsafeBufferPointer(rebasing: allEdges[f * (bins + 1)..<f * (bins + 1) + edgeCounts[f]])
                    if let bin = Histogram.logSpacedBin(of: Double(value), edges: own) { counts[f * bins + bin] += 1 }
                }
                samples.add(row: row, features: features, values: values)
            }
        }
        // The reports read the database only, so features run in parallel (their examples' contexts are most of it).
        let samplesByFeature = samples
        var reports = [FeatureReport?](repeating: nil, count: m)
        reports.withUnsafeMutableBufferPointer { out in
            let out = out  // each feature writes its own slot
            Parallelism.forEach(m) { f in out[f] = report(f, samplesByFeature) }
        }
        return reports.compactMap { $0 }

        func report(_ f: Int, _ samples: IntervalSamples) -> FeatureReport? {
            guard statistics.counts[f] > 0 else { return nil }
            let binCount = edgeCounts[f] - 1
            let histogram = Histogram(
                edges: Array(edges[f * (bins + 1)..<f * (bins + 1) + edgeCounts[f]]),
                counts: Array(counts[f * bins..<f * bins + binCount]))
            func example(_ e: ActivationExample) -> FeatureExample {
                FeatureExample(row: e.row, activation: e.value, feature: f, radius: options.contextRadius, database: database)
            }
            return FeatureReport(
                feature: f, activationCount: statistics.counts[f], frequency: statistics.frequency(f),
                meanActivation: statistics.meanActivation(f), maxActivation: statistics.maxima[f],
                moments: statistics.moments(f), histogram: histogram,
                topExamples: topExamples.examples(of: f).map(example),
                intervalExamples: samples.bins(of: f).map {
                    FeatureReport.IntervalExamples(
                        lower: $0.lower, upper: $0.upper, count: $0.count,
                        examples: $0.examples.map(example))
                })
        }
    }
}
