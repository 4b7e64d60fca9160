import Foundation

/// One panel of a feature page: a `<section id="…">` whose body is the Mustache partial `panel_<id>`, filled
/// from the feature's summary record. Adding a panel is one type conforming to this protocol, its partial, and
/// its entry in `FeaturePanels.all`.
protocol FeaturePanel: Sendable {
    /// The section's id (the page anchor) and the partial's name after `panel_`.
    var id: String { get }
    var title: String { get }
    /// The partial's values, or nil when the record has nothing for this panel (the page then says so).
    func context(_ record: FeatureRecord, page: FeaturePanelPage) throws -> [String: Any]?
}

/// What a panel may use besides the record: where the page is, and a way to write chart PNGs next to it.
struct FeaturePanelPage {
    let feature: Int
    let site: URL
    /// The site root relative to the page.
    let root: String
}

/// The panels every feature page shows, in page order.
enum FeaturePanels {
    static let all: [any FeaturePanel] = [MomentsPanel(), LogitHistogramPanel(), CorrelatedPanel()]

    /// Each panel rendered as `{id, title, html}` for the feature template; a panel without data renders the
    /// `missing` partial.
    static func render(_ record: FeatureRecord?, page: FeaturePanelPage, renderer: PageRenderer) throws -> [[String: Any]] {
        try all.map { panel in
            let body = try record.flatMap { try panel.context($0, page: page) }
            let html = try body.map { try renderer.render("panel_" + panel.id, $0) } ?? renderer.render("missing", [:])
            return ["id": panel.id, "title": panel.title, "html": html]
        }
    }
}
