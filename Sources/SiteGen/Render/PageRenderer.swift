import Foundation
import Mustache
import SiteResources

/// Renders the site's Mustache templates (from the bundled `templates/` folder, or another folder).
public struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    /// Loads every `*.mustache` file in `directory`; a template that does not parse throws.
    public init(templates directory: URL = SiteResources.templates) throws {
        MustacheContentTypes.register(MustacheHTML(), named: MustacheHTML.name)
        var library = MustacheLibrary()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".mustache") {
            let url = directory.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw SiteError("cannot read template \(url.path)")
            }
            do {
                try library.register(MustacheHTML.pragma + text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw SiteError("template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    /// `template` rendered with `context` (plain values, arrays and `[String: Any]` dictionaries).
    public func render(_ template: String, _ context: [String: Any]) throws -> String {
        guard let text = library.render(context, withTemplate: template) else {
            throw SiteError("no template named \(template)")
        }
        return text
    }
}

/// A failure of the site generator itself (not of its input): a missing template, an unwritable output.
public struct SiteError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
