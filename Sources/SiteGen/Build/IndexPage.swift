import Foundation

/// The feature index: `data/features.js` (assigning `window.SAE_FEATURES`, loaded with `<script src>` so the
/// page also works from `file://`) and `features.html`, whose script sorts, filters and pages the table.
/// Every feature has a page; the `has_examples` column says whether it shows examples. `IndexColumn` defines the columns.
enum IndexPage {
    static func write(entries: [IndexEntry], recorded: Int, data: SiteData, renderer: PageRenderer, site: URL) throws {
        var js = "window.SAE_FEATURES = {\"n\": \(entries.count), \"columns\": \(IndexColumn.schemaJSON), \"rows\": [\n"
        js.reserveCapacity(entries.count * 96)
        for (id, entry) in entries.enumerated() {
            js += "[" + IndexColumn.all.map { $0.json(id, entry) }.joined(separator: ",") + "]"
            js += id + 1 < entries.count ? ",\n" : "\n"
        }
        js += "]};\n"
        try SiteOutput.write(js, to: site.appendingPathComponent("data/features.js"))
        let context: [String: Any] = [
            "title": "Features", "root": "", "site": data.siteContext,
            "dSae": NumberFormat.grouped(entries.count), "nPages": NumberFormat.grouped(recorded),
            "firstPage": String(entries.firstIndex(where: \.hasExamples) ?? 0),
            "columns": IndexColumn.headers, "initialSort": IndexColumn.initialSort,
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
