import Foundation

/// Finds every internal `href`/`src` in a site's HTML files that does not resolve to a file in the site.
enum LinkChecker {
    struct Broken: CustomStringConvertible {
        var page: String, link: String
        var description: String { "\(page) -> \(link)" }
    }

    static func brokenLinks(in site: URL) -> (checked: Int, broken: [Broken]) {
        let fm = FileManager.default
        var checked = 0
        var broken: [Broken] = []
        let pattern = try! NSRegularExpression(pattern: #"(?:href|src)="([^"]*)""#)
        for case let url as URL in fm.enumerator(at: site, includingPropertiesForKeys: nil)! where url.pathExtension == "html" {
            let html = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            let range = NSRange(html.startIndex..., in: html)
            for match in pattern.matches(in: html, range: range) {
                let link = String(html[Range(match.range(at: 1), in: html)!])
                // Inline PNG charts load nothing; any other data: URI, like a network address, is flagged.
                if link.hasPrefix("data:image/png;base64,") { continue }
                if link.hasPrefix("http:") || link.hasPrefix("https:") || link.hasPrefix("//") || link.hasPrefix("data:") {
                    broken.append(Broken(page: url.lastPathComponent, link: link + " (external resource)"))
                    continue
                }
                let path = String(link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
                if path.isEmpty { continue }
                checked += 1
                let target = url.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
                if !fm.fileExists(atPath: target.path) || !target.path.hasPrefix(site.standardizedFileURL.path) {
                    broken.append(Broken(page: url.path.replacingOccurrences(of: site.path, with: ""), link: link))
                }
            }
        }
        return (checked, broken)
    }
}
