import Foundation
import SiteResources

/// Renders an analysis directory (ours or the seed's) into a static site: `index.html` (run summary),
/// `features.html` + `data/features.js` (feature index), `features/<id>.html` (one page per feature),
/// `clusters.html` + `clusters/<id>.html`, `map.html` (the feature map), PNG charts under `img/`, CSS and JS under `assets/`.
public struct SiteBuilder {
    /// What a build wrote and how long it took.
    public struct Report: Sendable {
        public var featurePages: Int
        /// Feature pages rendered from a summary record (the rest are short pages from the feature table).
        public var recordedFeatures: Int
        public var clusterPages: Int
        /// Pages of the corpus browser (`texts/<text_idx>.html`; 0 when the run sampled no texts).
        public var textPages: Int
        public var seconds: Double
        /// Feature pages per second over the feature-page stage.
        public var featurePagesPerSecond: Double
        /// Whether the analysis directory's `sites.json` now lists this site (false when not asked to or not writable).
        public var recordedLocation: Bool
    }

    public let analysis: URL
    public let output: URL
    /// Templates folder (the bundled one by default).
    public var templates: URL = SiteResources.templates
    /// Assets folder (the bundled one by default).
    public var assets: URL = SiteResources.assets
    /// Whether to list the site in the analysis directory's `sites.json` (the CLI does; tests building from the
    /// committed fixtures do not, so those stay untouched).
    public var recordsLocation = false

    public init(analysis: URL, output: URL) {
        self.analysis = analysis
        self.output = output
    }

    /// Builds the site into a temporary sibling of `output` and renames it into place. Bad input throws an
    /// `InputError` naming the file; nothing is left at `output` then.
    @discardableResult
    public func build() throws -> Report {
        let start = Date()
        let directory = try AnalysisDirectory(url: analysis)
        let data = try SiteData(directory: directory)
        let renderer = try PageRenderer(templates: templates)
        let out = try SiteOutput(target: output)
        do {
            try copyAssets(to: out.staging.appendingPathComponent("assets"))
            try SummaryPage.write(data: data, renderer: renderer, site: out.staging)
            let featureStart = Date()
            let sampledTexts = try directory.textsURL.map { try SampledTextsFile.load($0, dSae: data.dSae) }
            var featurePages = FeaturePages(data: data, renderer: renderer, site: out.staging)
            featurePages.occurrences = sampledTexts.map(TextOccurrences.init)
            let (entries, recorded) = try featurePages.writeAll()
            let featureSeconds = Date().timeIntervalSince(featureStart)
            let textPages = try sampledTexts.map { try TextPages.write($0, data: data, renderer: renderer, site: out.staging) } ?? 0
            try IndexPage.write(entries: entries, recorded: recorded, data: data, renderer: renderer, site: out.staging)
            try MapPage.write(entries: entries, data: data, renderer: renderer, site: out.staging)
            let clusterPages = try ClusterPages.write(data: data, renderer: renderer, site: out.staging)
            try SiteRecord(timestamp: directory.timestamp, analysis: directory.url.standardizedFileURL.path)
                .write(into: out.staging)
            try out.commit()
            let recordedLocation = recordsLocation && SiteLocations.record(site: out.target, analysis: directory.url)
            return Report(
                featurePages: entries.count, recordedFeatures: recorded, clusterPages: clusterPages, textPages: textPages,
                seconds: Date().timeIntervalSince(start),
                featurePagesPerSecond: Double(entries.count) / max(featureSeconds, 1e-9),
                recordedLocation: recordedLocation)
        } catch {
            out.discard()
            throw error
        }
    }

    private func copyAssets(to folder: URL) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: assets.path)) ?? []
        for name in names where !name.hasPrefix(".") {
            do {
                try FileManager.default.copyItem(at: assets.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            } catch {
                throw SiteError("cannot copy asset \(name) into the site")
            }
        }
    }
}
