import Formats
import Foundation

/// Where an SAE lies on disk and in which format, found from the files a path holds.
struct SAELocation {
    var format: SAEFormat
    /// The SAE's own folder.
    var directory: URL
    /// The file with the weights.
    var weights: URL

    /// Detects the format of `url` (a folder, or an OpenAI `.pt` / Gemma Scope `params.npz` file). A folder of several
    /// SAEs (sparsify hookpoints, OpenAI layer files) needs `hookpoint`; the error lists the ones there are.
    static func find(_ url: URL, hookpoint: String?) throws -> SAELocation {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw InputError("SAE directory not found", url: url)
        }
        if !isDirectory.boolValue {
            let folder = url.deletingLastPathComponent()
            if url.pathExtension == "pt", url.lastPathComponent != "weights.pt" {
                return SAELocation(format: .openAI, directory: folder, weights: url)
            }
            return try find(folder, hookpoint: nil)
        }
        func has(_ name: String) -> Bool { fileManager.fileExists(atPath: url.appendingPathComponent(name).path) }
        let signatures: [(SAEFormat, String)] = [
            (.seed, "weights.pt"), (.saelens, "sae_weights.safetensors"), (.gemmaScope, "params.npz"),
            (.gemmaScope2, "params.safetensors"), (.llamaScope, "hyperparams.json"), (.sparsify, "sae.safetensors"),
        ]
        if let (format, file) = signatures.first(where: { has($0.1) }) {
            let weights = format == .llamaScope ? "checkpoints/final.safetensors" : file
            return SAELocation(format: format, directory: url, weights: url.appendingPathComponent(weights))
        }

        let entries = ((try? fileManager.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
        let hookpoints = entries.filter { fileManager.fileExists(atPath: url.appendingPathComponent($0).appendingPathComponent("sae.safetensors").path) }
        if !hookpoints.isEmpty {
            let name = try choose(hookpoint, among: hookpoints, in: url, what: "sparsify hookpoint folders")
            let folder = url.appendingPathComponent(name)
            return SAELocation(format: .sparsify, directory: folder, weights: folder.appendingPathComponent("sae.safetensors"))
        }
        let layerFiles = entries.filter { $0.hasSuffix(".pt") }
        if !layerFiles.isEmpty {
            let name = try choose(
                hookpoint.map { $0.hasSuffix(".pt") ? $0 : $0 + ".pt" }, among: layerFiles, in: url,
                what: "OpenAI SAE files")
            return SAELocation(format: .openAI, directory: url, weights: url.appendingPathComponent(name))
        }
        throw InputError(
            "not an SAE directory: expected one of "
                + SAEFormat.allCases.map { "\($0.signature) (\($0.rawValue))" }.joined(separator: "; "), url: url)
    }

    /// The one of `names` that `requested` names; without a request, the only one.
    private static func choose(_ requested: String?, among names: [String], in url: URL, what: String) throws -> String {
        if let requested {
            guard names.contains(requested) else {
                throw InputError("no hookpoint \"\(requested)\" here; the folder holds the \(what) \(names.joined(separator: ", "))", url: url)
            }
            return requested
        }
        guard names.count == 1 else {
            throw InputError("the folder holds \(names.count) \(what) (\(names.joined(separator: ", "))); choose one with hookpoint", url: url)
        }
        return names[0]
    }
}

extension SparseAutoencoder {
    /// The files `init(directory:options:)` reads for `url` (weights, configs, optional extras that exist), so that a
    /// run can fingerprint exactly its SAE whatever the format. Throws what loading would for a folder of no format.
    public static func inputFiles(at url: URL, options: SAELoadOptions = SAELoadOptions()) throws -> [URL] {
        let location = try SAELocation.find(url, hookpoint: options.hookpoint)
        let names: [String]
        switch location.format {
        case .seed: names = ["config.json", "history.json"]
        case .saelens: names = ["cfg.json", "activation_scaler.json", "sparsity.safetensors"]
        case .gemmaScope, .openAI: names = []
        case .gemmaScope2: names = ["config.json"]
        case .sparsify: names = ["cfg.json", "../config.json"]
        case .llamaScope: names = ["hyperparams.json"]
        }
        let extras = names.map { location.directory.appendingPathComponent($0).standardizedFileURL }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        return [location.weights] + extras
    }

    /// The file that records which model the SAE belongs to (its config, else its weights, whose path names the
    /// release), for errors about that model.
    public static func modelRecordFile(at url: URL, options: SAELoadOptions = SAELoadOptions()) throws -> URL {
        let files = try inputFiles(at: url, options: options)
        for name in ["config.json", "cfg.json", "hyperparams.json"] {
            if let file = files.dropFirst().first(where: { $0.lastPathComponent == name }) { return file }
        }
        return files[0]
    }
}
