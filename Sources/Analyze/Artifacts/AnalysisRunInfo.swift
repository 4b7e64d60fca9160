/// What the artifact writer needs to know about the run beyond the feature analysis: the seed's headline fields,
/// the config object and the run's results.
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
    /// What the run measured; the writer serialises it to `analysis_results_<ts>.json` and adds the feature-derived
    /// keys.
    public var results: AnalysisResults

    public init(
        model: String, saePath: String, layer: Int, hookName: String, datasetSize: Int,
        config: OrderedJSON, results: AnalysisResults
    ) {
        self.model = model
        self.saePath = saePath
        self.layer = layer
        self.hookName = hookName
        self.datasetSize = datasetSize
        self.config = config
        self.results = results
    }
}
