import ArgumentParser
import Foundation
import SAECore

struct InspectSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-sae",
        abstract: "Print an SAE's architecture, shapes, hook, k and training history.",
        discussion: """
        Reads a seed SAE directory (weights.pt + config.json [+ history.json]) or a SAELens one (cfg.json + \
        sae_weights.safetensors [+ activation_scaler.json]), checks every tensor's shape and values, and prints the \
        architecture, d_in, d_sae, hook, k, dtype, decoder-norm statistics, ‖b_dec‖, the fraction of features the \
        training run saw fire (the seed's ever_fired), and the first and last value of each training curve.
        """)
    @Argument(help: "SAE directory.") var directory: String
    @Flag(help: "Print the summary as JSON.") var json = false

    func run() throws {
        try reportingInputErrors {
            let inspection = SAEInspection(try SparseAutoencoder(directory: URL(fileURLWithPath: directory)))
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
