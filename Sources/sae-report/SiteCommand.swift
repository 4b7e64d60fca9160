import ArgumentParser
import Foundation
import SiteGen

struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Render an analysis directory (ours or the seed's) into a static site.",
        discussion: """
            Reads only the analysis artifacts (found through SUMMARY_<ts>.json's files{}), never the model. Parts a run \
            did not compute are shown as "not computed in this run". The site is built next to OUTPUT and renamed into \
            place at the end; an existing OUTPUT is replaced only if sae-report wrote it. Open OUTPUT/index.html.
            """)
    @Argument(help: "Analysis directory.") var analysisDir: String
    @Option(name: .shortAndLong, help: "Output site directory.") var output: String
    @Flag(name: .shortAndLong, help: "Print what was written and how fast.") var verbose = false
    @Flag(inversion: .prefixedNo, help: "List the site in the analysis directory's sites.json, where compare finds it.")
    var record = true

    func run() throws {
        try reportingInputErrors {
            var builder = SiteBuilder(analysis: URL(fileURLWithPath: analysisDir), output: URL(fileURLWithPath: output))
            builder.recordsLocation = record
            let report = try builder.build()
            if verbose {
                print(
                    """
                    \(report.featurePages) feature pages (\(report.recordedFeatures) with examples), \
                    \(report.clusterPages) cluster pages in \(String(format: "%.2f", report.seconds)) s \
                    (\(Int(report.featurePagesPerSecond)) feature pages/s)
                    """)
            }
            if record && !report.recordedLocation {
                FileHandle.standardError.write(
                    Data("note: the analysis directory is not writable, so its sites.json does not list this site (compare needs --site for it)\n".utf8))
            }
            print(URL(fileURLWithPath: output).appendingPathComponent("index.html").path)
        }
    }
}
