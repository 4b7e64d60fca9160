import Formats

/// What a release says about how its SAE was trained, kept for the pipeline (which BOS and context to use, how the
/// model was loaded) and for `inspect-sae`; nothing here changes the encoding.
public struct SAEMetadata: Equatable, Sendable, Codable {
    /// Whether training prepended BOS to every context (SAELens `prepend_bos`).
    public var prependBOS: Bool?
    /// Training context length in tokens.
    public var contextSize: Int?
    /// SAELens `model_from_pretrained_kwargs` (e.g. `{"center_writing_weights": true}`), as written.
    public var modelFromPretrainedKwargs: [String: JSONValue]?
    /// The training dataset, when given.
    public var datasetPath: String?
    /// The hook as the release names it, when that is not a TransformerLens name (sparsify `layers.3.mlp`, Gemma
    /// Scope 2 `model.layers.17.output`, OpenAI `resid_post_mlp`).
    public var sourceHookName: String?
    /// Neuronpedia id, when given.
    public var neuronpediaID: String?

    public init(
        prependBOS: Bool? = nil, contextSize: Int? = nil, modelFromPretrainedKwargs: [String: JSONValue]? = nil,
        datasetPath: String? = nil, sourceHookName: String? = nil, neuronpediaID: String? = nil
    ) {
        self.prependBOS = prependBOS
        self.contextSize = contextSize
        self.modelFromPretrainedKwargs = modelFromPretrainedKwargs
        self.datasetPath = datasetPath
        self.sourceHookName = sourceHookName
        self.neuronpediaID = neuronpediaID
    }

    enum CodingKeys: String, CodingKey {
        case prependBOS = "prepend_bos"
        case contextSize = "context_size"
        case modelFromPretrainedKwargs = "model_from_pretrained_kwargs"
        case datasetPath = "dataset_path"
        case sourceHookName = "source_hook_name"
        case neuronpediaID = "neuronpedia_id"
    }
}
