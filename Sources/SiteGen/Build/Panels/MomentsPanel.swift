/// `#moments`: density and the zero-centred moments over all tokens, as OpenAI's sae-viewer shows them.
struct MomentsPanel: FeaturePanel {
    let id = "moments"
    let title = "Activation moments"

    func context(_ record: FeatureRecord, page: FeaturePanelPage) throws -> [String: Any]? {
        guard let m = record.moments else { return nil }
        func value(_ x: Double?) -> String { x.map { $0.isFinite ? NumberFormat.short($0) : "–" } ?? "–" }
        return [
            "rows": [
                ["name": "Density", "formula": "E[a > 0]", "value": m.density.map { NumberFormat.percent($0, 3) } ?? "–"],
                ["name": "Mean", "formula": "E[a]", "value": value(m.mean)],
                ["name": "Variance (0-centred)", "formula": "E[a²]", "value": value(m.meanSquare)],
                ["name": "Skew (0-centred)", "formula": "E[a³] / E[a²]^1.5", "value": value(m.skew)],
                ["name": "Kurtosis (0-centred)", "formula": "E[a⁴] / E[a²]²", "value": value(m.kurtosis)],
            ]
        ]
    }
}
