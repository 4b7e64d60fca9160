import ArgumentParser
import Formats
import Foundation
import LMRuntime

struct InspectModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-model",
        abstract: "Print a model directory's family, the decoder spec read from its config.json, and its hook names.")

    @Argument(help: "Hugging Face model directory (config.json).") var directory: String

    func run() throws {
        try reportingInputErrors {
            let spec = try DecoderSpec(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("config.json"))
            for line in spec.summary { print(line) }
            let points = spec.blockPoints.map(\.rawValue).joined(separator: ", ")
            print("hooks: \(Hook.Point.embed.rawValue); blocks.L.{\(points)} for L in 0...\(spec.layerCount - 1)")
        }
    }
}
