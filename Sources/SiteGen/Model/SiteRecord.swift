import Foundation

/// Where a run's sites are, recorded by `sae-report site` so `compare` can link into a site wherever it was written:
/// `site.json` in the site names the run it shows, and `sites.json` in the analysis directory lists the sites built
/// from it (newest first). The list is best effort: an analysis directory that cannot be written is left as it is.
struct SiteRecord: Codable, Equatable {
    static let fileName = "site.json"
    var tool = "sae-report"
    /// The run's timestamp (`AnalysisDirectory.timestamp`).
    var timestamp: String
    /// The analysis directory the site was built from (absolute).
    var analysis: String

    /// The record of the site at `site`, nil when it has none (a site written before records, or not a site).
    static func read(site: URL) -> SiteRecord? {
        guard let data = try? Data(contentsOf: site.appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(SiteRecord.self, from: data)
    }

    func write(into site: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try SiteOutput.write(try encoder.encode(self), to: site.appendingPathComponent(Self.fileName))
    }
}

/// `sites.json` in an analysis directory: the sites built from it, newest first.
struct SiteLocations: Codable, Equatable {
    static let fileName = "sites.json"

    struct Entry: Codable, Equatable {
        /// Absolute path of the site.
        var path: String
        /// The same, relative to the analysis directory (still right when both move together).
        var relative: String
    }

    var sites: [Entry] = []

    static func read(analysis: URL) -> SiteLocations {
        guard let data = try? Data(contentsOf: analysis.appendingPathComponent(fileName)),
            let locations = try? JSONDecoder().decode(SiteLocations.self, from: data)
        else { return SiteLocations() }
        return locations
    }

    /// Puts `site` first in the analysis directory's list (dropping sites that no longer exist); returns whether
    /// the list could be written.
    @discardableResult
    static func record(site: URL, analysis: URL) -> Bool {
        let site = site.standardizedFileURL, analysis = analysis.standardizedFileURL
        var locations = read(analysis: analysis)
        let entry = Entry(path: site.path, relative: String(RelativePath.between(analysis, site).dropLast()))
        locations.sites.removeAll { $0.path == entry.path || !FileManager.default.fileExists(atPath: $0.path) }
        locations.sites.insert(entry, at: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(locations) else { return false }
        return (try? data.write(to: analysis.appendingPathComponent(fileName), options: .atomic)) != nil
    }

    /// The recorded sites that exist, each tried relative to the analysis directory first, then at its absolute path.
    func candidates(analysis: URL) -> [URL] {
        sites.flatMap { entry in
            [analysis.appendingPathComponent(entry.relative).standardizedFileURL, URL(fileURLWithPath: entry.path)]
        }
    }
}
