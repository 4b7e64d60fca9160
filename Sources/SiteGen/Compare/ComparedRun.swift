import Formats
import Foundation

/// One run of a comparison: its artifacts (read as the site generator reads them), where its site is, and where
/// the SAE it analysed is.
struct ComparedRun: Sendable {
    let index: Int
    let label: String
    let data: SiteData
    /// The raw config document (nil when the run has none).
    let config: JSONValue?
    /// The run's static site, when there is one to link to.
    let site: URL?
    /// The SAE directory to read the decoder from, or why there is none.
    let sae: Result<URL, SkipReason>
    /// `hashes.sae` of the config (file name → sha256), empty for seed runs.
    let saeHashes: [String: String]
    /// Ids of features known never to have fired on the corpus.
    let neverFired: Set<Int>

    var run: RunSummary { data.run }
    var dSae: Int { data.dSae }
    var directory: AnalysisDirectory { data.directory }

    /// The directory's name, with its parent when it is the generic `analysis` of `sae-report run`.
    var name: String {
        let url = directory.url.standardizedFileURL
        let last = url.lastPathComponent
        return last == "analysis" ? url.deletingLastPathComponent().lastPathComponent + "/" + last : last
    }

    /// Reads the run at `url` (an analysis directory, or an output of `sae-report run` holding `analysis/`).
    init(index: Int, url: URL, site siteOverride: URL?, sae saeOverride: URL?) throws {
        self.index = index
        label = CompareOptions.label(index)
        let directory = try AnalysisDirectory(url: Self.analysisDirectory(url))
        data = try SiteData(directory: directory)
        config = try directory.configURL.map { try JSONFile.decode(JSONValue.self, from: $0) }
        site = try Self.locateSite(directory: directory, override: siteOverride)
        if let saeOverride {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: saeOverride.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw InputError("SAE directory given for run \(label) not found", url: saeOverride)
            }
            sae = .success(saeOverride)
        } else {
            sae = Self.locateSAE(
                recorded: config?.member("sae_path")?.text ?? directory.summary.member("sae_path")?.text,
                analysis: directory.url)
        }
        // Hashes prove which SAE the run read; an SAE given on the command line is the user's call.
        saeHashes =
            saeOverride == nil
            ? (config?.member("hashes")?.member("sae")?.fields ?? [:]).compactMapValues(\.text) : [:]
        var neverFired = Set(data.run.deadFeatureIDs ?? [])
        if let table = data.table {
            for (id, count) in table.activationCount.enumerated() where count == 0 { neverFired.insert(id) }
        }
        self.neverFired = neverFired
    }

    /// The fraction of tokens `feature` fired on: the feature table's, or the labels file's count over the tokens.
    func frequency(_ feature: Int) -> Double? {
        if let frequency = data.table?.row(feature).frequency { return frequency }
        if let count = data.labels[feature]?.activationFrequency, let tokens = run.nTokens, tokens > 0 {
            return count / Double(tokens)
        }
        return neverFired.contains(feature) ? 0 : nil
    }

    // MARK: - Locating things

    private static func analysisDirectory(_ url: URL) -> URL {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
        let nested = url.appendingPathComponent("analysis")
        if !names.contains(where: { $0.hasPrefix("SUMMARY_") }), fm.fileExists(atPath: nested.path) { return nested }
        return url
    }

    /// The `--site` directory (which must be a site), else the first site that `sae-report site` recorded in the
    /// analysis directory's `sites.json`, else the `site/` next to the analysis directory; a found site must show
    /// this run (its `site.json`, or for older sites its summary page, names the run's timestamp), so a site of
    /// another run is never linked. nil when there is none.
    private static func locateSite(directory: AnalysisDirectory, override: URL?) throws -> URL? {
        let fm = FileManager.default
        if let override {
            guard fm.fileExists(atPath: override.appendingPathComponent("index.html").path) else {
                throw InputError("no index.html in the site directory given with --site", url: override)
            }
            return override
        }
        let analysis = directory.url.standardizedFileURL
        let sibling = analysis.deletingLastPathComponent().appendingPathComponent("site")
        let candidates = SiteLocations.read(analysis: analysis).candidates(analysis: analysis) + [sibling]
        return candidates.first { shows(directory.timestamp, site: $0) }
    }

    private static func shows(_ timestamp: String, site: URL) -> Bool {
        guard FileManager.default.fileExists(atPath: site.appendingPathComponent("index.html").path) else { return false }
        if let record = SiteRecord.read(site: site) { return record.timestamp == timestamp }
        let page = try? String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
        return page?.contains(timestamp) ?? false
    }

    /// `sae_path` as recorded: absolute, or (seed runs) relative to the analysis directory's parent, where the
    /// seed writes `<sae_path>.analysis`, to the analysis directory, or to the working directory.
    static func locateSAE(recorded: String?, analysis: URL) -> Result<URL, SkipReason> {
        guard let recorded, !recorded.isEmpty else { return .failure(.noSAEPath) }
        let base = analysis.standardizedFileURL
        let candidates =
            recorded.hasPrefix("/")
            ? [URL(fileURLWithPath: recorded)]
            : [
                base.deletingLastPathComponent().appendingPathComponent(recorded), base.appendingPathComponent(recorded),
                URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(recorded),
            ]
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return .success(candidate.standardizedFileURL)
            }
        }
        return .failure(.saeNotFound(recorded))
    }
}
