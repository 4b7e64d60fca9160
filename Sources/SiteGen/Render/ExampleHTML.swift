import Foundation

/// The HTML of one activation example: its context tokens, each shaded by this feature's activation on it
/// (the value in the tooltip, and as visually hidden text for screen readers), with the example's target token
/// outlined.
enum ExampleHTML {
    /// Renders `example`; `scale` is the activation that maps to full shading (the feature's max activation).
    static func render(_ example: FeatureRecord.Example, scale: Double) -> String {
        guard let tokens = example.contextTokens, !tokens.isEmpty else { return seedContext(example) }
        let activations = example.contextActivations ?? []
        var html = ""
        html.reserveCapacity(tokens.count * 24)
        for (i, token) in tokens.enumerated() {
            let value = i < activations.count ? activations[i] : 0
            let isTarget = i == example.targetIndex
            let text = visible(token)
            if value == 0 && !isTarget || !value.isFinite && !isTarget {
                html += text
                continue
            }
            let alpha = scale > 0 && value.isFinite ? min(1, max(0.08, value / scale)) : 0
            html += "<span class=\"t"
            if isTarget { html += " tgt" }
            html += "\" style=\"--a:" + NumberFormat.fixed(alpha, 2) + "\" title=\""
            html += NumberFormat.short(value)
            html += "\">" + text + "<span class=\"vh\"> [" + (isTarget ? "marked, " : "") + "activation "
            html += NumberFormat.short(value) + "]</span></span>"
        }
        return html
    }

    /// The seed's examples have only a context string and the token: show the token, then the context.
    private static func seedContext(_ example: FeatureRecord.Example) -> String {
        "<span class=\"seedtok\" title=\"" + NumberFormat.short(example.activation) + "\">" + visible(example.token)
            + "</span>" + HTMLEscaping.escape(example.context ?? "")
    }

    /// A token's escaped text, with line breaks and tabs made visible, since tokens are shown inline.
    static func visible(_ token: String) -> String {
        if token.isEmpty { return "<span class=\"nl\">∅</span>" }
        var escaped = HTMLEscaping.escape(token)
        if escaped.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" }) {
            escaped = escaped.replacingOccurrences(of: "\r\n", with: "<span class=\"nl\">↵</span>")
                .replacingOccurrences(of: "\n", with: "<span class=\"nl\">↵</span>")
                .replacingOccurrences(of: "\r", with: "<span class=\"nl\">↵</span>")
                .replacingOccurrences(of: "\t", with: "<span class=\"nl\">⇥</span>")
        }
        return escaped
    }
}
