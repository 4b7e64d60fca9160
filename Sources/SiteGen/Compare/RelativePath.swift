import Foundation

/// Relative links between directories, so a comparison site links into the runs' sites from `file://` and from
/// any web server that serves a common parent.
enum RelativePath {
    /// The path from directory `from` to directory `to`, ending in "/" (both made absolute and standardised).
    static func between(_ from: URL, _ to: URL) -> String {
        let source = components(from), target = components(to)
        var common = 0
        while common < source.count, common < target.count, source[common] == target[common] { common += 1 }
        let up = Array(repeating: "..", count: source.count - common)
        let path = (up + target[common...]).joined(separator: "/")
        return path.isEmpty ? "" : path + "/"
    }

    /// `path` with the characters that are not safe in an href attribute percent-encoded.
    static func encoded(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    private static func components(_ url: URL) -> [String] {
        url.standardizedFileURL.resolvingSymlinksInPath().pathComponents.filter { $0 != "/" }
    }
}
