/// `feature_table_<ts>.json`: per-feature columns for every feature of the SAE.
public struct FeatureTable: Decodable, Sendable {
    public var dSae: Int
    public var activationCount: [Double?]
    public var frequency: [Double?]
    public var meanActivation: [Double?]
    public var maxActivation: [Double?]
    public var cluster: [Int?]

    enum CodingKeys: String, CodingKey {
        case dSae = "n_features"
        case activationCount = "activation_count"
        case frequency
        case meanActivation = "mean_activation"
        case maxActivation = "max_activation"
        case cluster
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dSae = try c.decode(Int.self, forKey: .dSae)
        activationCount = try c.decodeIfPresent([Double?].self, forKey: .activationCount) ?? []
        frequency = try c.decodeIfPresent([Double?].self, forKey: .frequency) ?? []
        meanActivation = try c.decodeIfPresent([Double?].self, forKey: .meanActivation) ?? []
        maxActivation = try c.decodeIfPresent([Double?].self, forKey: .maxActivation) ?? []
        cluster = try c.decodeIfPresent([Int?].self, forKey: .cluster) ?? []
    }

    /// The column values of `feature`, nil where a column is missing or shorter than `dSae`.
    public func row(_ feature: Int) -> (count: Double?, frequency: Double?, mean: Double?, max: Double?, cluster: Int?) {
        func at<T>(_ column: [T?]) -> T? { feature < column.count ? column[feature] : nil }
        return (at(activationCount), at(frequency), at(meanActivation), at(maxActivation), at(cluster))
    }
}
