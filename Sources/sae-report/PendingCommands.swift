import ArgumentParser
import Foundation

// Subcommands whose engines are not built yet. Each has its final interface and real help; running one
// says it is not available and exits 2, without writing anything.

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze", abstract: "Run the model over a corpus, encode with the SAE, and write the analysis directory.")
    @Option(help: "Hugging Face model directory (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(help: "SAE directory (seed: weights.pt + config.json; SAELens: cfg.json + sae_weights.safetensors).")
    var sae: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    @Option(name: .shortAndLong, help: "Output analysis directory.") var output: String
    func run() throws { try notAvailable("analyze") }
}

struct SiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "site", abstract: "Render an analysis directory (ours or the seed's) into a static site.")
    @Argument(help: "Analysis directory.") var analysisDir: String
    @Option(name: .shortAndLong, help: "Output site directory.") var output: String
    func run() throws { try notAvailable("site") }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "analyze, then site, in one command.")
    @Option(help: "Hugging Face model directory.") var model: String
    @Option(help: "SAE directory.") var sae: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    @Option(name: .shortAndLong, help: "Output directory (analysis/ and site/ inside).") var output: String
    func run() throws { try notAvailable("run") }
}

struct QuickCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quick", abstract: "A short re-run: headline metrics on a corpus sample, without the activation database.")
    @Option(help: "Hugging Face model directory.") var model: String
    @Option(help: "SAE directory.") var sae: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    func run() throws { try notAvailable("quick") }
}

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare two or more analysis runs side by side in one site.")
    @Argument(help: "Analysis directories.") var runs: [String]
    @Option(name: .shortAndLong, help: "Output site directory.") var output: String
    func run() throws { try notAvailable("compare") }
}

struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Pack an analysis (and its site) into one .tar.gz with a sha256 manifest.")
    @Argument(help: "Directory to archive.") var directory: String
    @Option(name: .shortAndLong, help: "Output .tar.gz file.") var output: String
    func run() throws { try notAvailable("archive") }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check every file of an archive against its manifest.")
    @Argument(help: "Archive file (.tar.gz).") var archive: String
    func run() throws { try notAvailable("verify") }
}

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Analyze the embedded demo model, SAE and corpus, and build its site.")
    @Option(name: .shortAndLong, help: "Output directory.") var output: String = "sae-report-demo"
    func run() throws { try notAvailable("demo") }
}

struct InspectSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-sae", abstract: "Print an SAE's architecture, shapes, hook, k and training history.")
    @Argument(help: "SAE directory.") var directory: String
    func run() throws { try notAvailable("inspect-sae") }
}

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Tokenize texts with a model's tokenizer.json; prints one JSON id list per text.")
    @Option(help: "Model directory holding tokenizer.json.") var model: String
    @Argument(help: "JSON file with a list of strings (default: read that list from standard input).")
    var data: String?
    func run() throws { try notAvailable("tokenize") }
}

struct ActivationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations", abstract: "Run the model and save every token's activation at a hook as float32 [n_tokens, d] .npy.")
    @Option(help: "Hugging Face model directory.") var model: String
    @Option(help: "Corpus: a JSON list of strings.") var data: String
    @Option(help: "Hook name, e.g. blocks.9.hook_resid_post.") var hook: String
    @Option(name: .shortAndLong, help: "Output .npy file.") var output: String
    func run() throws { try notAvailable("activations") }
}
