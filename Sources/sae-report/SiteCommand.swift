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

    func run() throws {
        try reportingInputErrors {
            let report = try SiteBuilder(analysis: URL(fileURLWithPath: analysisDir), output: URL(fileURLWithPath: output)).build()
            if verbose {
                print("""
                    \(report.featurePages) feature pages (\(report.recordedFeatures) with examples), \
                    \(report.clusterPages) cluster pages in \(String(format: "%.2f", report.seconds)) s \
                    (\(Int(report.featurePagesPerSecond)) feature pages/s)
                    """)
            }
            print(URL(fileURLWithPath: output).appendingPathComponent("index.html").path)
        }
    }
}
