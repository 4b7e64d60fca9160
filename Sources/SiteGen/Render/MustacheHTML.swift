import Mustache

/// The templates' HTML escaping, `HTMLEscaping.escape` (one pass over the UTF-8 bytes), in place of swift-mustache's
/// own, which looks each Character up in a dictionary: on a feature page, whose inline chart URIs alone are a few
/// kilobytes of escaped text, that lookup was a tenth of the build. Both replace `& < > " '` by the same entities; this
/// one also escapes those bytes inside a grapheme cluster (a `<` followed by a combining mark), which the other
/// leaves as they are. `PageRenderer` selects it with a pragma at the head of every template.
struct MustacheHTML: MustacheContentType {
    static let name = "SAE_REPORT_HTML"
    /// On a line of its own, so that the line is dropped (a standalone tag) and the template renders as written.
    static let pragma = "{{% CONTENT_TYPE: \(name)}}\n"

    func escapeText(_ text: String) -> String { HTMLEscaping.escape(text) }
}

/// Strings render as themselves without the casts and `String(describing:)` that swift-mustache tries on a value of
/// unknown type (most values of a page's context are strings).
extension String: @retroactive MustacheCustomRenderable {
    public var renderText: String { self }
    public var isNull: Bool { false }
}

/// A string has no members: a name looked up while one is the section's value (`{{#prev}}…{{prev}}…{{/prev}}`) goes
/// on to the enclosing context at once, instead of through a `Mirror` of the string, whose children are empty, so
/// the answer is the same.
extension String: @retroactive MustacheParent {
    public func child(named: String) -> Any? { nil }
}
