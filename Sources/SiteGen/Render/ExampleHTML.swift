import Foundation

/// The HTML of one activation example: its context tokens, each shaded by this feature's activation on it, with the
/// example's target token outlined. Top examples with loss effects also underline each later token by the effect of
/// removing the feature at the target on predicting it (blue: the feature helped, red: it hurt). Every shaded or
/// underlined token is focusable and carries its numbers in a tooltip (shown on hover, focus and tap), as visually
/// hidden text for screen readers, and as `data-act` / `data-dloss` attributes for scripts.
enum ExampleHTML {
    /// Renders `example`; `scale` is the activation that maps to full shading (the feature's max activation),
    /// `lossScale` the |Δloss| that maps to a full underline (the largest on the page).
    static func render(_ example: FeatureRecord.Example, scale: Double, lossScale: Double = 0) -> String {
        guard let tokens = example.contextTokens, !tokens.isEmpty else { return seedContext(example) }
        let activations = example.contextActivations ?? []
        let effects = example.lossEffects
        func at(_ values: [Double?]?, _ i: Int) -> Double? {
            guard let values, i < values.count, let value = values[i], value.isFinite else { return nil }
            return value
        }
        var html = ""
        html.reserveCapacity(tokens.count * 24)
        for (i, token) in tokens.enumerated() {
            let value = i < activations.count ? activations[i] : 0
            let isTarget = i == example.targetIndex
            let text = visible(token)
            let delta = at(effects?.deltaLoss, i), kl = at(effects?.kl, i)
            let direct = at(effects?.directDeltaLoss, i), directKL = at(effects?.directKL, i)
            if (value == 0 || !value.isFinite) && !isTarget && delta == nil && direct == nil {
                html += text
                continue
            }
            let alpha = scale > 0 && value.isFinite && value != 0 ? min(1, max(0.08, value / scale)) : 0
            var classes = "t"
            if isTarget { classes += " tgt" }
            var style = "--a:" + NumberFormat.fixed(alpha, 2)
            if let delta {
                classes += delta >= 0 ? " up" : " dn"
                let strength = lossScale > 0 ? min(1, max(0.15, abs(delta) / lossScale)) : 0
                style += ";--l:" + NumberFormat.fixed(strength, 2)
            }
            var tip = "activation " + NumberFormat.short(value)
            if let delta { tip += "; Δloss " + signed(delta) + (kl.map { ", KL " + NumberFormat.short($0) } ?? "") }
            if let direct { tip += "; direct path Δloss " + signed(direct) + (directKL.map { ", KL " + NumberFormat.short($0) } ?? "") }
            html += "<span class=\"" + classes + "\" tabindex=\"0\" style=\"" + style + "\" data-act=\"" + NumberFormat.short(value) + "\""
            if let delta { html += " data-dloss=\"" + signed(delta) + "\"" }
            if let direct { html += " data-dloss-direct=\"" + signed(direct) + "\"" }
            html += ">" + text + "<span class=\"pop\" aria-hidden=\"true\">" + tip + "</span>"
            html += "<span class=\"vh\"> [" + (isTarget ? "marked, " : "") + tip + "]</span></span>"
        }
        return html
    }

    /// The largest |Δloss| of `examples` (0 when none has effects): the full-underline scale of a page.
    static func lossScale(_ examples: [FeatureRecord.Example]) -> Double {
        examples.compactMap(\.lossEffects).flatMap { $0.deltaLoss.compactMap { $0 } }.filter(\.isFinite).map(abs).max() ?? 0
    }

    /// A loss change with its sign, so that a rise reads as one.
    static func signed(_ value: Double) -> String { (value > 0 ? "+" : "") + NumberFormat.short(value) }

    /// The seed's examples have only a context string and the token: show the token, then the context.
    private static func seedContext(_ example: FeatureRecord.Example) -> String {
        "<span class=\"seedtok\" title=\"" + NumberFormat.short(example.activation) + "\">" + visible(example.token)
            + "</span>" + HTMLEscaping.escape(example.context ?? "")
    }

    /// A token's escaped text, with line breaks (`\r\n`, `\n`, `\r`) and tabs made visible, since tokens are shown
    /// inline. One pass over the UTF-8 (these are ASCII bytes, never inside a multi-byte character).
    static func visible(_ token: String) -> String {
        if token.isEmpty { return "<span class=\"nl\">∅</span>" }
        let escaped = HTMLEscaping.escape(token)
        let utf8 = escaped.utf8
        guard utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return escaped }
        let lineBreak = Array("<span class=\"nl\">↵</span>".utf8), tab = Array("<span class=\"nl\">⇥</span>".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 64)
        var previousWasCR = false
        for byte in utf8 {
            defer { previousWasCR = byte == 0x0D }
            switch byte {
            case 0x0A where previousWasCR: continue  // the "\r\n" already shown by its "\r"
            case 0x0A, 0x0D: out += lineBreak
            case 0x09: out += tab
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
