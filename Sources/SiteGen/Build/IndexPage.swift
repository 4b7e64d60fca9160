import Foundation

/// The feature index: `data/features.js` (assigning `window.SAE_FEATURES`, loaded with `<script src>` so the
/// page also works from `file://`) and `features.html`, whose script sorts, filters and pages the table.
/// Every feature has a page; the last column of a row says whether it has examples.
enum IndexPage {
    static func write(entries: [IndexEntry], recorded: Int, data: SiteData, renderer: PageRenderer, site: URL) throws {
        var js = "window.SAE_FEATURES = {\"n\": \(entries.count), \"rows\": [\n"
        js.reserveCapacity(entries.count * 96)
        for (id, entry) in entries.enumerated() {
            js += "[" + String(id) + "," + JSONEscaping.quoted(entry.label ?? "") + "," + number(entry.frequency)
            js += "," + number(entry.mean) + "," + number(entry.max) + "," + (entry.cluster.map(String.init) ?? "null")
            js += "," + JSONEscaping.quoted(entry.topTokens) + "," + (entry.hasExamples ? "1" : "0") + "]"
            js += id + 1 < entries.count ? ",\n" : "\n"
        }
        js += "]};\n"
        try SiteOutput.write(js, to: site.appendingPathComponent("data/features.js"))
        let context: [String: Any] = [
            "title": "Features", "root": "", "site": data.siteContext,
            "nFeatures": NumberFormat.grouped(entries.count), "nPages": NumberFormat.grouped(recorded),
            "firstPage": String(entries.firstIndex(where: \.hasExamples) ?? 0),
        ]
        try SiteOutput.write(try renderer.render("index", context), to: site.appendingPathComponent("features.html"))
    }

    /// A JSON number with 4 significant digits, or `null` for a missing or non-finite value.
    static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            let digits = max(0, 3 - Int(log10(magnitude).rounded(.down)))
            var text = NumberFormat.fixed(value, digits)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text
        }
        return NumberFormat.scientific(value)
    }
}
