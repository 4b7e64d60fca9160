/// What the artifact writer needs to know about the run beyond the feature analysis: the seed's headline fields,
/// the config object and the metric blocks the metrics stage produced.
public struct AnalysisRunInfo: Sendable {
    /// The seed's `model_name` (e.g. `qwen3-0.6b`).
    public var model: String
    public var saePath: String
    public var layer: Int
    /// The seed's `hook_name` (e.g. `hook_resid_post`).
    public var hookName: String
    /// Number of texts in the corpus (the seed's `dataset_size`).
    public var datasetSize: Int
    /// `config_<ts>.json`, complete (seed keys first, then ours — see docs/artifacts.md).
    public var config: OrderedJSON
    /// `analysis_results_<ts>.json` as the metrics stage built it (the seed's four blocks, `metric_table`,
    /// `warnings`, `run`, `histograms.l0`, ...). The writer adds the feature-derived keys.
    public var results: OrderedJSON
    /// Features the SAE never fired during training (its `ever_fired`), when known.
    public var trainingDeadFeatureIDs: [Int]?

    public init(model: String, saePath: String, layer: Int, hookName: String, datasetSize: Int,
                config: OrderedJSON, results: OrderedJSON, trainingDeadFeatureIDs: [Int]? = nil) {
        self.model = model
        self.saePath = saePath
        self.layer = layer
        self.hookName = hookName
        self.datasetSize = datasetSize
        self.config = config
        self.results = results
        self.trainingDeadFeatureIDs = trainingDeadFeatureIDs
    }
}
