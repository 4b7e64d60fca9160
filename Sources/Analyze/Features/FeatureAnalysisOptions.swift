/// Settings of the per-feature analysis and feature geometry; the defaults follow the seed where it had one.
public struct FeatureAnalysisOptions: Codable, Equatable, Sendable {
    /// Whether to write the dense `d_sae × d_sae` similarity and co-occurrence `.npy` matrices.
    public enum DenseMatrices: String, Codable, Sendable {
        /// Only when `d_sae ≤ 16384` (each matrix is then ≤ 1 GiB).
        case automatic
        case always
        case never

        public func writes(dSae: Int) -> Bool {
            switch self {
            case .automatic: dSae <= 16384
            case .always: true
            case .never: false
            }
        }
    }

    /// Where to cut the cluster tree.
    public enum ClusterCut: Codable, Equatable, Sendable {
        /// Clusters whose members are all joined at average distance ≤ this (scipy `fcluster` 'distance').
        case maximumHeight(Double)
        /// At most this many clusters (scipy `fcluster` 'maxclust').
        case count(Int)
    }

    /// Top examples kept per feature (the seed's `top_k`).
    public var topExamples = 25
    /// Tokens shown on each side of an example (the seed's `context_size`).
    public var contextRadius = 10
    /// Log-spaced bins of each feature's activation histogram.
    public var histogramBins = 24
    /// Equal-width activation intervals sampled per feature, and examples kept per interval.
    public var intervalCount = 10
    public var examplesPerInterval = 5
    /// Seeds every random choice (the interval samples).
    public var seed: UInt64 = 0
    /// Neighbours per feature in `neighbors_<ts>.npz`.
    public var neighbors = 32
    public var similarityMetric = DecoderSimilarity.Metric.cosine
    public var cooccurrenceMeasure = CooccurrenceMeasure.phi
    public var denseMatrices = DenseMatrices.automatic
    /// Memory for one block of co-occurrence counts; larger `d_sae` takes several passes over the database.
    public var cooccurrenceBlockBytes = 1 << 30
    /// Features clustered for the global heatmap: the ones whose co-occurrence rows vary most (the notebook's choice).
    public var clusterFeatures = 500
    public var clusterCut = ClusterCut.maximumHeight(0.8)
    /// Smaller clusters are not reported (their features get no cluster id).
    public var minimumClusterSize = 2
    /// Whether to lay out the decoder directions in 2-D (`FeatureMap`, for the site's map page).
    public var featureMap = true
    /// Input dimensions per feature in the neuron-alignment lists.
    public var neuronAlignment = 5
    /// Tokens per feature in the logit-effect lists; 0: none (and no product through the unembedding).
    public var logitEffects = 10
    /// Texts sampled for the corpus browser (`texts_<ts>.json`); 0: none.
    public var browseTexts = 200
    /// Top examples per feature (the first ones, best first) whose loss effects are computed by rerunning the
    /// model with the feature removed; 0: none.
    public var lossEffectExamples = 5
    /// Budget of the loss effects, in model rows: each example counts the rows of its model window up to the end of its
    /// context (the window runs once from the hook, and each example reruns only its own rows on, `ExampleLossEffects`).
    /// Examples are taken rank by rank (every feature's best, then every feature's second, …; features by id within a
    /// rank) until the next would exceed it; nil: no limit.
    public var lossEffectRows: Int? = 2048

    public init() {}
}
