@testable import Analyze
@testable import Formats
import Foundation
import Testing

/// The synthetic corpus and expected values written by `scripts/fixtures/make_feature_fixtures.py`.
enum FeatureFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/features")

    struct Input: Decodable {
        var n_tokens: Int
        var n_features: Int
        var d_in: Int
        var vocab_size: Int
        var text_lengths: [Int]
        var token_id: [Int32]
        var text_idx: [Int32]
        var position: [Int32]
        var indptr: [Int]
        var indices: [Int32]
        var data: [Float]
        var w_dec: [Float]
        var w_u: [Float]
        var vocab: [String]

        var decoder: FloatTensor { FloatTensor(shape: [n_features, d_in], values: w_dec) }
        var unembedding: FloatTensor { FloatTensor(shape: [vocab_size, d_in], values: w_u) }
        func token(_ row: Int) -> TokenRecord {
            TokenRecord(tokenID: token_id[row], textIndex: text_idx[row], position: position[row])
        }
    }

    struct Context: Decodable {
        var row: Int
        var context_rows: [Int]
        var context_activations: [Double]
        var target_index: Int
        var context: String
    }

    struct HistogramValues: Decodable {
        var edges: [Double]
        var counts: [Int]
    }

    struct IntervalBin: Decodable {
        var bin: Int
        var range: [Double]
        var count: Int
        var rows: [Int]
    }

    struct Feature: Decodable {
        var top: [Context]
        var histogram: HistogramValues
        var intervals: [IntervalBin]
        /// The fixture keeps the seed's name for the equal-width intervals.
        enum CodingKeys: String, CodingKey {
            case top, histogram
            case intervals = "quantiles"
        }
    }

    struct Neighbors: Decodable {
        var indices: [[Int]]
        var values: [[Double]]
    }

    struct ClusterStats: Decodable {
        var members: [Int]
        var mean_cooccurrence: Double?
        var mean_decoder_cosine: Double?
    }

    struct Clustering: Decodable {
        var features: [Int]
        var row_variance: [Double]
        var linkage: [[Double]]
        var order: [Int]
        var cuts: [String: [ClusterStats]]
    }

    struct Parameters: Decodable {
        var top_k: Int
        var context: Int
        var histogram_bins: Int
        var quantile_bins: Int
        var quantile_per_bin: Int
        var sampling_seed: UInt64
        var neighbors: Int
        var cluster_features: Int
        var cluster_threshold: Double
        var cluster_count: Int
        var logit_k: Int
    }

    struct Stats: Decodable {
        var count: [Int]
        var sum: [Double]
        var max: [Double]
        var min: [Double]
    }

    struct LogitEffect: Decodable {
        var promoted: [[Double]]
        var suppressed: [[Double]]
    }

    struct Expected: Decodable {
        var parameters: Parameters
        var n_tokens: Int
        var nnz: Int
        var stats: Stats
        var features: [Feature?]
        var similarity: [String: [Double]]
        var joint_counts: [Int]
        var cooccurrence: [String: [Double]]
        var decoder_neighbors: Neighbors
        var cooccurrence_neighbors: Neighbors
        var clustering: Clustering
        var logit_effects: [LogitEffect]
        /// With W_dec and W_U rounded to bf16 (a bf16 head).
        var logit_effects_bf16: [LogitEffect]
    }

    static let input: Input = load("input.json")
    static let expected: Expected = load("expected.json")

    private static func load<T: Decodable>(_ name: String) -> T {
        let data = try! Data(contentsOf: directory.appendingPathComponent(name))
        return try! JSONDecoder().decode(T.self, from: data)
    }

    /// The options the expected values were computed with.
    static var options: FeatureAnalysisOptions {
        let p = expected.parameters
        var options = FeatureAnalysisOptions()
        options.topExamples = p.top_k
        options.contextRadius = p.context
        options.histogramBins = p.histogram_bins
        options.intervalCount = p.quantile_bins
        options.examplesPerInterval = p.quantile_per_bin
        options.seed = p.sampling_seed
        options.neighbors = p.neighbors
        options.clusterFeatures = p.cluster_features
        options.clusterCut = .maximumHeight(p.cluster_threshold)
        options.logitEffects = p.logit_k
        return options
    }

    /// Writes the fixture's codes into a new database under `directory`, also feeding the streaming accumulators.
    static func database(in directory: URL) throws -> (ActivationDatabase, FeatureStatistics, TopExamples) {
        let writer = try ActivationDatabaseWriter(
            directory: directory.appendingPathComponent("db"),
            dSae: input.n_features)
        var statistics = FeatureStatistics(dSae: input.n_features)
        var top = TopExamples(dSae: input.n_features, k: expected.parameters.top_k)
        for row in 0..<input.n_tokens {
            let range = input.indptr[row]..<input.indptr[row + 1]
            let features = Array(input.indices[range]), values = Array(input.data[range])
            try writer.append(token: input.token(row), features: features, values: values)
            features.withUnsafeBufferPointer { f in
                values.withUnsafeBufferPointer { v in
                    statistics.add(features: f, values: v)
                    top.add(row: row, features: f, values: v)
                }
            }
        }
        return (try writer.finish(), statistics, top)
    }
}
