/// `#correlated`: the features whose activations correlate most with this one's over the tokens (Pearson), and
/// the input dimensions its decoder row leans on (neuron alignment), as sae_vis's feature tables.
struct CorrelatedPanel: FeaturePanel {
    let id = "correlated"
    let title = "Correlated features and neuron alignment"
    /// Rows shown of each list.
    var rows = 10

    func context(_ record: FeatureRecord, page: FeaturePanelPage) throws -> [String: Any]? {
        let correlated = record.neighbors?.correlation
        let alignment = record.neuronAlignment
        guard correlated != nil || alignment != nil else { return nil }
        var context: [String: Any] = [:]
        if let correlated {
            let shown = correlated.filter { $0.feature >= 0 && $0.feature != record.feature }.prefix(rows)
            context["correlated"] = shown.map { ["id": String($0.feature), "value": NumberFormat.fixed($0.value, 3)] }
            context["has_correlated"] = !shown.isEmpty
        }
        if let alignment {
            context["alignment"] = alignment.prefix(rows).map {
                ["dimension": String($0.dimension), "value": NumberFormat.fixed($0.value, 3), "share": NumberFormat.percent($0.l1Share, 1)]
            }
            context["has_alignment"] = !alignment.isEmpty
        }
        return context
    }
}
