import Analyze
import ArgumentParser
import DemoData
import Foundation
import SiteGen

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Analyze the embedded demo model, SAE and corpus, and build its site.",
        discussion: """
            The demo ships with sae-report (demo/README.md): a 1M-parameter Qwen3-architecture model trained on a \
            generated corpus, and a BatchTopK SAE (k = 16, 1024 features) on its blocks.2.hook_resid_post. Writes \
            OUTPUT/analysis and OUTPUT/site; needs no network.
            """)
    @Option(name: .shortAndLong, help: "Output directory.") var output: String = "sae-report-demo"
    @OptionGroup var threads: ThreadsArgument

    func run() throws {
        try reportingInputErrors {
            let root = URL(fileURLWithPath: output)
            let start = Date()
            var options = AnalysisOptions(
                modelDirectory: DemoData.model, saeDirectory: DemoData.sae,
                corpusFile: DemoData.corpus, output: root.appendingPathComponent("analysis"))
            options.pass.ablation = .both
            options.pass.ablationTokens = nil
            options.control.threads = threads.threads
            let outcome = try runAnalysis(options)
            let site = root.appendingPathComponent("site")
            var builder = SiteBuilder(analysis: outcome.directory!, output: site)
            builder.recordsLocation = true
            let report = try builder.build()
            let index = site.appendingPathComponent("index.html").standardizedFileURL.path
            print(
                """
                demo: analyzed \(outcome.tokenCount) tokens and wrote \(report.featurePages) feature pages in \
                \(String(format: "%.1f", Date().timeIntervalSince(start))) s
                analysis: \(outcome.directory!.standardizedFileURL.path)
                site:     \(index)
                open it directly, or serve it:  python3 -m http.server --directory \(site.standardizedFileURL.path) 8000
                """)
        }
    }
}
