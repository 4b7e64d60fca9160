import Formats
import Foundation
import SiteResources

/// Renders two or more analysis directories (ours or the seed's) side by side into one static site: `index.html`
/// (runs, what differs, metrics with deltas, dead/dense counts, overlaid histograms, configuration diff) and, for
/// every pair of runs whose SAEs can be read and share `d_in`, feature matching by decoder cosine
/// (`pair-A-B.html`, `matches/`, `data/*.csv`), with links into each run's own site where there is one.
public struct CompareBuilder {
    /// What a build wrote and how long it took.
    public struct Report: Sendable {
        public var runs: Int
        public var matchedPairs: Int
        /// One line per pair that was not matched: "A ↔ B: reason".
        public var skippedPairs: [String]
        /// Seconds spent matching (decoders loaded), over all pairs.
        public var matchingSeconds: Double
        public var seconds: Double
    }

    public let runs: [URL]
    public let output: URL
    public var options: CompareOptions
    /// Reads a run's decoder for matching; nil means no matching (as `--match off`).
    public var loadDecoder: DecoderLoader?
    public var templates: URL = SiteResources.templates
    public var assets: URL = SiteResources.assets

    public init(runs: [URL], output: URL, options: CompareOptions = CompareOptions(), loadDecoder: DecoderLoader? = nil) {
        self.runs = runs
        self.output = output
        self.options = options
        self.loadDecoder = loadDecoder
    }

    /// Builds the site into a temporary sibling of `output` and renames it into place. Bad input throws an
    /// `InputError` naming the file; nothing is left at `output` then.
    @discardableResult
    public func build() throws -> Report {
        let start = Date()
        guard runs.count >= 2 else {
            throw InputError("compare needs at least two analysis directories, got \(runs.count)")
        }
        guard runs.count <= CompareOptions.maxRuns else {
            throw InputError("compare takes at most \(CompareOptions.maxRuns) analysis directories, got \(runs.count)")
        }
        guard options.threshold.isFinite, (-1...1).contains(options.threshold) else {
            throw InputError("the match threshold must be a cosine between -1 and 1, got \(options.threshold)")
        }
        for index in Set(options.sites.keys).union(options.saes.keys) where !runs.indices.contains(index) {
            throw InputError("--site/--sae name run \(CompareOptions.label(index)), but there are only \(runs.count) runs")
        }
        let compared = try runs.enumerated().map { i, url in
            try ComparedRun(index: i, url: url, site: options.sites[i], sae: options.saes[i])
        }
        try checkOutputIsApart(from: compared)
        let renderer = try PageRenderer(templates: templates)
        let out = try SiteOutput(target: output)
        do {
            let mode = loadDecoder == nil ? .off : options.matching
            let pairs = try PairMatching.all(compared, mode: mode, load: loadDecoder)
            let site = CompareSite(
                runs: compared, pairs: pairs, options: options, renderer: renderer,
                staging: out.staging, target: out.target)
            try prepare(out.staging)
            try CompareOverviewPage.write(site)
            for pair in pairs {
                if case .success(let matching) = pair.outcome {
                    try PairPages(site: site, pair: pair, matching: matching).write()
                }
            }
            try out.commit()
            return Report(
                runs: compared.count, matchedPairs: pairs.filter { (try? $0.outcome.get()) != nil }.count,
                skippedPairs: pairs.compactMap { pair in
                    guard case .failure(let skip) = pair.outcome else { return nil }
                    return "\(site.pairName(pair)): \(skip)"
                },
                matchingSeconds: pairs.map(\.seconds).reduce(0, +), seconds: Date().timeIntervalSince(start))
        } catch {
            out.discard()
            throw error
        }
    }

    /// The output must not replace a run's analysis or the site the comparison links into.
    private func checkOutputIsApart(from runs: [ComparedRun]) throws {
        let target = output.standardizedFileURL.resolvingSymlinksInPath().path
        for run in runs {
            for protected in [run.directory.url, run.site].compactMap({ $0 }) {
                let path = protected.standardizedFileURL.resolvingSymlinksInPath().path
                if target == path || path.hasPrefix(target + "/") || target.hasPrefix(path + "/") {
                    throw InputError(
                        "the output would overwrite or sit inside run \(run.label)'s \(protected == run.site ? "site" : "analysis"); choose another -o",
                        url: output)
                }
            }
        }
    }

    /// Copies the stylesheets and replaces the single-run folders `SiteOutput` stages with the comparison's.
    private func prepare(_ staging: URL) throws {
        let fm = FileManager.default
        for folder in ["features", "clusters"] { try? fm.removeItem(at: staging.appendingPathComponent(folder)) }
        do {
            try fm.createDirectory(at: staging.appendingPathComponent("matches"), withIntermediateDirectories: true)
        } catch {
            throw InputError("cannot write the output directory", url: staging)
        }
        for name in ["style.css", "print.css"] {
            do {
                try fm.copyItem(at: assets.appendingPathComponent(name), to: staging.appendingPathComponent("assets/\(name)"))
            } catch {
                throw SiteError("cannot copy asset \(name) into the site")
            }
        }
    }
}
