/// `clusters_<ts>.json`: the feature clusters and the global heatmap's feature order.
public struct ClusterSet: Decodable, Sendable {
    public var method: String?
    public var seed: Int?
    public var order: [Int]
    public var clusters: [Cluster]

    public struct Cluster: Decodable, Sendable {
        public var id: Int
        public var members: [Int]
        public var meanCooccurrence: Double?
        public var meanDecoderCosine: Double?
        public var topTokens: [TokenCount]

        enum CodingKeys: String, CodingKey {
            case id, members
            case meanCooccurrence = "mean_cooccurrence"
            case meanDecoderCosine = "mean_decoder_cosine"
            case topTokens = "top_tokens"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(Int.self, forKey: .id)
            members = try c.decode([Int].self, forKey: .members)
            meanCooccurrence = try c.decodeIfPresent(Double.self, forKey: .meanCooccurrence)
            meanDecoderCosine = try c.decodeIfPresent(Double.self, forKey: .meanDecoderCosine)
            topTokens = try c.decodeIfPresent([TokenCount].self, forKey: .topTokens) ?? []
        }
    }

    public struct TokenCount: Decodable, Sendable {
        public var token: String
        public var count: Int
    }

    enum CodingKeys: String, CodingKey { case method, seed, order, clusters }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        seed = try c.decodeIfPresent(Int.self, forKey: .seed)
        order = try c.decodeIfPresent([Int].self, forKey: .order) ?? []
        clusters = try c.decode([Cluster].self, forKey: .clusters)
    }
}
