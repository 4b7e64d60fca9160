import ArgumentParser
import Formats
import Foundation
import SAECore
import SiteGen

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare two or more analysis runs side by side in one static site.",
        discussion: """
            Each RUN is an analysis directory (ours or the seed's) or an output of `sae-report run` (holding analysis/). \
            Runs are labelled A, B, C, … in the order given; differences are shown relative to A. OUTPUT/index.html has \
            the runs, what differs between them (corpus, model, hook, d_in, token variant: allowed but flagged), every \
            metric with its delta, dead and dense counts, overlaid frequency and L0 histograms, and the configuration diff.

            Feature matching: for every pair of runs whose SAEs can be read and have the same d_in, the best match of \
            every feature by decoder cosine in both directions (OUTPUT/pair-A-B.html, full tables under matches/, CSV \
            under data/). The SAE is the run config's sae_path (checked against the sha256 the run recorded) unless \
            --sae gives it. With --match auto (the default) a pair that cannot be matched gets a note on the page; with \
            --match require it is an error (exit 1); --match off reads no SAE.

            Feature ids link into each run's own site: the one given with --site, else the newest site `sae-report site` \
            recorded in the analysis directory's sites.json (wherever it was written), else the site/ next to the \
            analysis directory, each only when it was built from that run; otherwise ids are shown without links. The links are relative, so keep the sites where they are (or serve a common parent directory). \
            The site is built next to OUTPUT and renamed into place at the end.
            """)
    @Argument(help: ArgumentHelp("Analysis directories (at least two).", valueName: "run")) var runs: [String] = []
    @Option(name: .shortAndLong, help: "Output site directory.") var output: String
    @Option(name: .customLong("site"), help: ArgumentHelp("A run's site directory, e.g. B=out/site (run letter or 1-based number).", valueName: "run=dir"))
    var sites: [String] = []
    @Option(
        name: .customLong("sae"),
        help: ArgumentHelp("A run's SAE directory, when its config's sae_path does not lead to it, e.g. A=path/to/sae.", valueName: "run=dir"))
    var saes: [String] = []
    @Option(help: ArgumentHelp("Feature matching: auto (skip a pair that cannot be matched, with a note), require (error instead), off.", valueName: "mode"))
    var match: String = "auto"
    @Option(help: "Best-match cosine below which a feature is listed as unmatched.") var matchThreshold: Double = 0.7
    @Flag(name: .shortAndLong, help: "Print what was matched and how long it took.") var verbose = false

    func run() throws {
        try reportingInputErrors {
            var options = CompareOptions()
            guard let mode = CompareOptions.Matching(rawValue: match) else {
                throw InputError("--match must be auto, require or off, got \"\(match)\"")
            }
            options.matching = mode
            options.threshold = matchThreshold
            options.sites = try Self.perRun(sites, flag: "--site")
            options.saes = try Self.perRun(saes, flag: "--sae")
            let load: DecoderLoader = { directory, hashes in try RunDecoder.load(directory: directory, recordedHashes: hashes) }
            let builder = CompareBuilder(
                runs: runs.map { URL(fileURLWithPath: $0) }, output: URL(fileURLWithPath: output),
                options: options, loadDecoder: mode == .off ? nil : load)
            let report = try builder.build()
            for line in report.skippedPairs where mode != .off { printError("note: not matched: \(line)") }
            if verbose {
                print(
                    """
                    \(report.runs) runs, \(report.matchedPairs) pairs matched in \(String(format: "%.2f", report.matchingSeconds)) s; \
                    site in \(String(format: "%.2f", report.seconds)) s
                    """)
            }
            print(URL(fileURLWithPath: output).appendingPathComponent("index.html").path)
        }
    }

    /// `["B=dir", "1=dir"]` → `[1: dir, 0: dir]` (run letters A… or 1-based numbers).
    static func perRun(_ values: [String], flag: String) throws -> [Int: URL] {
        var result: [Int: URL] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].isEmpty, let index = runIndex(parts[0]) else {
                throw InputError("\(flag) takes RUN=DIR with RUN a run letter (A, B, …) or number (1, 2, …), got \"\(value)\"")
            }
            guard result[index] == nil else { throw InputError("\(flag) is given twice for run \(parts[0])") }
            result[index] = URL(fileURLWithPath: parts[1])
        }
        return result
    }

    private static func runIndex(_ text: String) -> Int? {
        if let number = Int(text), number >= 1 { return number - 1 }
        guard text.count == 1, let scalar = text.uppercased().unicodeScalars.first, ("A"..."Z").contains(scalar) else { return nil }
        return Int(scalar.value) - 65
    }
}
