import Charts
/// One line of `feature_summaries_<ts>.jsonl`: the seed's keys, and ours when the run wrote them.
public struct FeatureRecord: Decodable, Sendable {
    public var feature: Int
    /// The seed's `activation_frequency`, which is a count of active tokens, written as a float.
    public var activationFrequency: Double?
    public var meanActivation: Double?
    public var topExamples: [Example]
    public var activationCount: Double?
    /// Fraction of tokens on which the feature fired.
    public var frequency: Double?
    public var maxActivation: Double?
    public var histogram: HistogramBins?
    public var moments: Moments?
    /// Equal-width histogram of `W_dec[i]·W_U` over the vocabulary.
    public var logitHistogram: HistogramBins?
    public var intervalExamples: [IntervalGroup]?
    public var logitEffects: LogitEffects?
    public var neighbors: NeighborLists?
    /// The decoder row's largest-magnitude input dimensions.
    public var neuronAlignment: [AlignedDimension]?
    public var cluster: Int?

    enum CodingKeys: String, CodingKey {
        case feature, frequency, histogram, neighbors, cluster, moments
        case logitHistogram = "logit_histogram"
        case activationFrequency = "activation_frequency"
        case meanActivation = "mean_activation"
        case topExamples = "top_examples"
        case activationCount = "activation_count"
        case maxActivation = "max_activation"
        case intervalExamples = "quantile_examples"
        case logitEffects = "logit_effects"
        case neuronAlignment = "neuron_alignment"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        feature = try c.decode(Int.self, forKey: .feature)
        activationFrequency = try c.decodeIfPresent(Double.self, forKey: .activationFrequency)
        meanActivation = try c.decodeIfPresent(Double.self, forKey: .meanActivation)
        topExamples = try c.decodeIfPresent([Example].self, forKey: .topExamples) ?? []
        activationCount = try c.decodeIfPresent(Double.self, forKey: .activationCount)
        frequency = try c.decodeIfPresent(Double.self, forKey: .frequency)
        maxActivation = try c.decodeIfPresent(Double.self, forKey: .maxActivation)
        histogram = try c.decodeIfPresent(HistogramBins.self, forKey: .histogram)
        moments = try c.decodeIfPresent(Moments.self, forKey: .moments)
        logitHistogram = try c.decodeIfPresent(HistogramBins.self, forKey: .logitHistogram)
        intervalExamples = try c.decodeIfPresent([IntervalGroup].self, forKey: .intervalExamples)
        logitEffects = try c.decodeIfPresent(LogitEffects.self, forKey: .logitEffects)
        neighbors = try c.decodeIfPresent(NeighborLists.self, forKey: .neighbors)
        neuronAlignment = try c.decodeIfPresent([AlignedDimension].self, forKey: .neuronAlignment)
        cluster = try c.decodeIfPresent(Int.self, forKey: .cluster)
    }

    /// The number of active tokens: ours, or the seed's count.
    public var count: Double? { activationCount ?? activationFrequency }

    /// One activating token in its context.
    public struct Example: Decodable, Sendable {
        public var token: String
        public var activation: Double
        /// The seed's context string (space-joined in the seed's runs, concatenated in ours).
        public var context: String?
        public var position: Int?
        public var textIndex: Int?
        public var contextTokens: [String]?
        public var contextActivations: [Double]?
        public var targetIndex: Int?
        /// Per shown token: the loss effects of removing the feature at the example (top examples only).
        public var lossEffects: LossEffects?

        public init(
            token: String, activation: Double, context: String? = nil, position: Int? = nil,
            textIndex: Int? = nil, contextTokens: [String]? = nil, contextActivations: [Double]? = nil,
            targetIndex: Int? = nil
        ) {
            self.token = token
            self.activation = activation
            self.context = context
            self.position = position
            self.textIndex = textIndex
            self.contextTokens = contextTokens
            self.contextActivations = contextActivations
            self.targetIndex = targetIndex
        }

        enum CodingKeys: String, CodingKey {
            case token, activation, context, position
            case textIndex = "text_idx"
            case contextTokens = "context_tokens"
            case contextActivations = "context_activations"
            case targetIndex = "target_index"
            case lossEffects = "loss_effects"
        }
    }

    /// Aligned with an example's `context_tokens`; null where the token's prediction cannot change.
    public struct LossEffects: Decodable, Sendable {
        public var deltaLoss: [Double?]
        public var kl: [Double?]?
        public var directDeltaLoss: [Double?]?
        public var directKL: [Double?]?
        enum CodingKeys: String, CodingKey {
            case kl
            case deltaLoss = "delta_loss"
            case directDeltaLoss = "direct_delta_loss"
            case directKL = "direct_kl"
        }
    }

    public struct IntervalGroup: Decodable, Sendable {
        public var range: [Double]
        /// Active tokens whose activation fell in the interval.
        public var count: Double?
        public var examples: [Example]
    }

    /// Zero-centred moments over all tokens (docs/artifacts.md).
    public struct Moments: Decodable, Sendable {
        public var density: Double?
        public var mean: Double?
        public var meanSquare: Double?
        public var skew: Double?
        public var kurtosis: Double?
        enum CodingKeys: String, CodingKey {
            case density, mean, skew, kurtosis
            case meanSquare = "mean_square"
        }
    }

    public struct LogitEffects: Decodable, Sendable {
        public var promoted: [TokenValue]
        public var suppressed: [TokenValue]
    }

    public struct TokenValue: Decodable, Sendable {
        public var token: String
        public var tokenID: Int?
        public var value: Double
        enum CodingKeys: String, CodingKey {
            case token, value
            case tokenID = "token_id"
        }
    }

    public struct NeighborLists: Decodable, Sendable {
        public var decoder: [Neighbor]?
        public var cooccurrence: [Neighbor]?
        /// By Pearson correlation of the activations over tokens.
        public var correlation: [Neighbor]?
    }

    public struct AlignedDimension: Decodable, Sendable {
        public var dimension: Int
        public var value: Double
        public var l1Share: Double
        enum CodingKeys: String, CodingKey {
            case dimension, value
            case l1Share = "l1_share"
        }
    }

    public struct Neighbor: Decodable, Sendable {
        public var feature: Int
        public var value: Double
    }
}
