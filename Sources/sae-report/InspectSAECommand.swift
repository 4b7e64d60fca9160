import ArgumentParser
import Foundation
import Formats
import SAECore

struct InspectSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-sae",
        abstract: "Print an SAE's architecture, shapes, hook, k and training history.",
        discussion: """
            Reads an SAE folder in any supported format: the seed's (weights.pt + config.json [+ history.json]), SAELens \
            (cfg.json + sae_weights.safetensors), Gemma Scope (params.npz; Gemma Scope 2: params.safetensors + \
            config.json), EleutherAI sparsify (cfg.json + sae.safetensors, or a folder of hookpoints), OpenAI's GPT-2 \
            TopK (<layer>.pt) or Llama Scope (hyperparams.json + checkpoints/final.safetensors). Checks every tensor's \
            shape and values, and prints the detected format, architecture, d_in, d_sae, hook, normalisation, expected \
            model and training settings, k, dtype, decoder-norm statistics, ‖b_dec‖, the fraction of features the \
            training run saw fire (the seed's ever_fired), and the first and last value of each training curve.
            """)
    @Argument(help: "SAE directory (or an OpenAI .pt file).") var directory: String
    @Option(help: "Which SAE of a folder that holds several: a sparsify hookpoint (layers.6) or an OpenAI layer file (6).")
    var hookpoint: String?
    @Option(help: "Gemma Scope site when the path does not name the repository: res, mlp or att (default res).")
    var site: String?
    @Option(help: "k for an OpenAI TopK SAE whose state dict does not record it.") var k: Int?
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        try reportingInputErrors {
            var options = SAELoadOptions(hookpoint: hookpoint, k: k)
            if let site {
                guard let parsed = GemmaScopeSite(rawValue: site) else {
                    throw InputError("--site must be res, mlp or att, not \"\(site)\"")
                }
                options.site = parsed
            }
            let sae = try SparseAutoencoder(directory: URL(fileURLWithPath: directory), options: options)
            let inspection = SAEInspection(sae)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(inspection), as: UTF8.self))
            } else {
                print(inspection.text)
            }
        }
    }
}
