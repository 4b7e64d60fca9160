import Formats
import Foundation
import SAECore

/// The saved state of a pass after a whole number of batches: written periodically beside an analysis in progress
/// (so `--resume` can continue it) and as the result of a shard (so `merge` can combine shards). It lives in a
/// directory with the activation database's column files under `columns/`.
struct PassCheckpoint: Codable {
    static let fileName = "checkpoint.json"
    static let columnsDirectory = "columns"
    static let formatVersion = 3  // 2: options in four parts (paths, pass, features, control); 3: browse/loss-effect options

    var format = PassCheckpoint.formatVersion
    /// Identifies the inputs and pass settings: runs, shards and resumed runs combine only when it is equal.
    var fingerprint: String
    var options: AnalysisOptions
    var inputHashes: InputHashes
    /// The timestamp of the run's file names (kept across resumes).
    var timestamp: String
    var shard: ShardSpec?
    /// Batches of the whole corpus, the ones this run or shard covers, and the first one not done yet.
    var batchCount: Int
    var firstBatch: Int
    var endBatch: Int
    var nextBatch: Int
    var calibration: Calibration
    var corpus: CorpusCounts
    var state: PassState

    var isComplete: Bool { nextBatch == endBatch }

    /// The corpus numbers a run reports, the same in every shard.
    struct CorpusCounts: Codable, Equatable {
        var texts: Int
        var textsUsed: Int
        var tokens: Int
        var skipped: [Corpus.Skipped]
    }

    /// Reads `directory/checkpoint.json`, or nil when there is none.
    static func read(in directory: URL) throws -> PassCheckpoint? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        struct Format: Decodable { var format: Int }
        do {
            let data = try Data(contentsOf: url)
            // The format first: another version's checkpoint may not decode as this one's.
            let format = try decoder.decode(Format.self, from: data).format
            guard format == formatVersion else {
                throw InputError(
                    "checkpoint format \(format) is not the supported format \(formatVersion) (written by "
                        + "another version of sae-report; delete this directory to start over)", url: url)
            }
            return try decoder.decode(PassCheckpoint.self, from: data)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError("unreadable checkpoint (\(error))", url: url)
        }
    }

    /// Writes `directory/checkpoint.json` atomically (the columns must already be on disk).
    func write(in directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        do {
            try Self.encoder.encode(self).write(to: url, options: .atomic)
        } catch {
            throw InputError("cannot write checkpoint (\(error.localizedDescription))", url: url)
        }
    }

    private static let nonFinite = (positive: "inf", negative: "-inf", nan: "nan")
    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return encoder
    }
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        return decoder
    }

    /// The fingerprint of a run: its input hashes and pass settings.
    static func fingerprint(options: AnalysisOptions, hashes: InputHashes) throws -> String {
        let settings = try encoder.encode(options.fingerprintSettings)
        return FileHash.sha256(of: settings + (try encoder.encode(hashes)))
    }
}

/// SHA-256 of the model's and the SAE's files and of the corpus, recorded in the run's config.
struct InputHashes: Codable, Equatable {
    var model: [String: String]
    var sae: [String: String]
    var corpus: String
    /// The activation folder's files (`analyze --activations`), by name.
    var activations: [String: String]?

    /// `cache` remembers the hashes of large files between runs (`FileHashCache`).
    init(options: AnalysisOptions, cache: FileHashCache = .standard) throws {
        func hashFiles(in directory: URL, suffixes: [String]) throws -> [String: String] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
                .filter { name in suffixes.contains { name.hasSuffix($0) } }
            return Dictionary(uniqueKeysWithValues: try names.map { ($0, try cache.sha256(of: directory.appendingPathComponent($0))) })
        }
        if let folder = options.paths.activations {
            // The manifest names the folder's files; one it lists but lacks is the loader's error to report.
            let manifest = try ActivationManifest(folder: folder)
            let names = [ActivationManifest.fileName, manifest.tokens] + manifest.shards + (manifest.tokenizer.map { [$0] } ?? [])
            activations = Dictionary(
                uniqueKeysWithValues: try names.map { ($0, try cache.sha256(of: folder.appendingPathComponent($0))) })
            model = try options.paths.unembedding.map { try hashFiles(in: $0, suffixes: [".json", ".safetensors"]) } ?? [:]
        } else {
            model = try hashFiles(in: options.paths.model, suffixes: [".json", ".safetensors"])
        }
        sae = try hashFiles(in: options.paths.sae, suffixes: [".json", ".pt", ".safetensors"])
        // Formats whose files lie elsewhere (params.npz, checkpoints/final.safetensors, a hookpoint subfolder, a .pt
        // given as the path): add what the loader reads, named relative to the SAE path.
        let root = options.paths.sae.standardizedFileURL.path + "/"
        for file in try SparseAutoencoder.inputFiles(at: options.paths.sae, options: options.pass.sae.loadOptions) {
            let path = file.standardizedFileURL.path
            let name = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : file.lastPathComponent
            if sae[name] == nil { sae[name] = try cache.sha256(of: file) }
        }
        corpus = try cache.sha256(of: options.paths.corpus)
    }

    /// What differs from `other`, as "model tokenizer.json", "sae weights.pt", "corpus" (sorted; empty when equal).
    func differences(from other: InputHashes) -> [String] {
        func files(_ kind: String, _ mine: [String: String], _ theirs: [String: String]) -> [String] {
            Set(mine.keys).union(theirs.keys).sorted().filter { mine[$0] != theirs[$0] }.map { "\(kind) \($0)" }
        }
        return files("model", model, other.model) + files("sae", sae, other.sae) + (corpus == other.corpus ? [] : ["corpus"])
            + files("activations", activations ?? [:], other.activations ?? [:])
    }

    var json: OrderedJSON {
        func files(_ hashes: [String: String]) -> OrderedJSON { .object(hashes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }) }
        var json: OrderedJSON = .object([("model", files(model)), ("sae", files(sae)), ("corpus", .string(corpus))])
        if let activations { json.set("activations", files(activations)) }
        return json
    }
}
