import Foundation
import Parallelism

/// The corpus browser: `texts/index.html` lists the sampled texts, `texts/<text_idx>.html` shows one, each token
/// shaded by its strongest feature (hue by feature, strength by the activation over that feature's maximum) with a
/// tooltip (hover, focus, tap) listing its strongest features as links to their pages; `#t<position>` anchors let
/// feature pages link to single tokens.
enum TextPages {
    /// Characters of each text shown in the index.
    static let previewCharacters = 160

    static func write(_ file: SampledTextsFile, data: SiteData, renderer: PageRenderer, site: URL) throws -> Int {
        let texts = file.texts
        do {
            try FileManager.default.createDirectory(at: site.appendingPathComponent("texts"), withIntermediateDirectories: true)
        } catch {
            throw SiteError("cannot create the texts folder of the site")
        }
        let maxima = data.table?.maxActivation
        let pages = try Parallelism.map(texts.count) { index -> [String: Any] in
            let text = texts[index]
            var context: [String: Any] = [
                "title": "Text \(text.textIndex)", "root": "../", "site": data.siteContext, "id": String(text.textIndex),
                "html": tokensHTML(text, maxima: maxima, data: data),
                "nTokens": NumberFormat.grouped(text.tokens.count),
                "features": strongest(text, data: data),
            ]
            if let total = text.tokenCount, total > text.tokens.count {
                context["cut"] = "Only the first \(NumberFormat.grouped(text.tokens.count)) of its \(NumberFormat.grouped(total)) tokens are shown."
            }
            if index > 0 { context["prev"] = String(texts[index - 1].textIndex) }
            if index + 1 < texts.count { context["next"] = String(texts[index + 1].textIndex) }
            try SiteOutput.write(try renderer.render("text", context), to: site.appendingPathComponent("texts/\(text.textIndex).html"))
            let joined = text.tokens.joined()
            let preview = joined.count > previewCharacters ? String(joined.prefix(previewCharacters)) + "…" : joined
            return [
                "id": String(text.textIndex), "nTokens": NumberFormat.grouped(text.tokenCount ?? text.tokens.count),
                "preview": preview, "features": Array((context["features"] as! [[String: Any]]).prefix(3)),
            ]
        }
        var context: [String: Any] = ["title": "Texts", "root": "../", "site": data.siteContext, "texts": pages]
        context["nSampled"] = NumberFormat.grouped(texts.count)
        context["nTexts"] = file.textCount.map(NumberFormat.grouped) ?? "?"
        try SiteOutput.write(try renderer.render("texts", context), to: site.appendingPathComponent("texts/index.html"))
        return texts.count
    }

    /// The text's tokens as HTML: each token with features is a focusable span carrying its tooltip.
    static func tokensHTML(_ text: SampledTextsFile.Text, maxima: [Double?]?, data: SiteData) -> String {
        var html = ""
        html.reserveCapacity(text.tokens.count * 200)
        for (position, token) in text.tokens.enumerated() {
            let features = text.features[position], values = text.values[position]
            let visible = ExampleHTML.visible(token)
            guard let first = features.first else {
                html += "<span id=\"t\(position)\">" + visible + "</span>"
                continue
            }
            let top = values[0]
            let scale = maxima.flatMap { first < $0.count ? $0[first] : nil } ?? top
            let alpha = scale > 0 && top.isFinite ? min(1, max(0.06, top / scale)) : 0
            html += "<span class=\"w\" id=\"t\(position)\" tabindex=\"0\" style=\"--h:\(hue(first));--a:" + NumberFormat.fixed(alpha, 2)
            html += "\" data-feature=\"\(first)\" data-act=\"" + NumberFormat.short(top) + "\">" + visible
            html += "<span class=\"pop\"><span class=\"pophead\">token \(position)</span>"
            var spoken: [String] = []
            for (feature, value) in zip(features, values) {
                let label = data.label(feature).map { " " + HTMLEscaping.escape($0) } ?? ""
                html += "<a href=\"../features/\(feature).html\">#\(feature)</a> " + NumberFormat.short(value)
                html += "<span class=\"lbl\">" + label + "</span><br>"
                spoken.append("feature \(feature) " + NumberFormat.short(value))
            }
            html += "</span><span class=\"vh\"> [" + spoken.joined(separator: ", ") + "]</span></span>"
        }
        return html
    }

    /// The features with the largest activation anywhere in the text, for the page's table.
    static func strongest(_ text: SampledTextsFile.Text, data: SiteData, count: Int = 12) -> [[String: Any]] {
        var best: [Int: (value: Double, position: Int)] = [:]
        for (position, (features, values)) in zip(text.features, text.values).enumerated() {
            for (feature, value) in zip(features, values) where value > (best[feature]?.value ?? -.infinity) {
                best[feature] = (value, position)
            }
        }
        return best.sorted { $0.value.value != $1.value.value ? $0.value.value > $1.value.value : $0.key < $1.key }
            .prefix(count).map { feature, entry in
                var row: [String: Any] = [
                    "id": String(feature), "value": NumberFormat.short(entry.value), "position": String(entry.position),
                    "hue": String(hue(feature)),
                ]
                row["label"] = data.label(feature) ?? ""  // always set: Mustache would find the page's own label
                return row
            }
    }

    /// A hue per feature, spread by the golden angle so neighbouring ids differ.
    static func hue(_ feature: Int) -> Int { Int((Double(feature) * 137.508).truncatingRemainder(dividingBy: 360)) }
}
