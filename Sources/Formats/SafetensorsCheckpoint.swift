import Foundation

/// The weights of a Hugging Face model directory: either one `model.safetensors`, or the shards listed in
/// `model.safetensors.index.json` (`{"weight_map": {tensor name: shard file name}}`).
public final class SafetensorsCheckpoint: @unchecked Sendable {
    /// The index file name for sharded checkpoints.
    public static let indexFileName = "model.safetensors.index.json"
    /// The file name for single-file checkpoints.
    public static let singleFileName = "model.safetensors"

    /// The model directory.
    public let directory: URL
    /// The names of all tensors across all shards, sorted.
    public let tensorNames: [String]

    // Immutable after init, hence @unchecked Sendable.
    private let fileForTensor: [String: SafetensorsFile]

    /// Opens (maps and validates) every shard. A tensor listed in the index but missing from its shard is an error.
    public init(directory: URL) throws {
        self.directory = directory
        let fileManager = FileManager.default
        let indexURL = directory.appendingPathComponent(Self.indexFileName)
        let singleURL = directory.appendingPathComponent(Self.singleFileName)

        var fileForTensor: [String: SafetensorsFile] = [:]
        if fileManager.fileExists(atPath: indexURL.path) {
            var shards: [String: SafetensorsFile] = [:]
            for (tensor, shardName) in try Self.readWeightMap(indexURL) {
                if shards[shardName] == nil {
                    shards[shardName] = try SafetensorsFile(contentsOf: directory.appendingPathComponent(shardName))
                }
                let shard = shards[shardName]!
                guard shard.shape(of: tensor) != nil else {
                    throw InputError("weight_map puts tensor \"\(tensor)\" in \(shardName), which does not contain it", url: indexURL)
                }
                fileForTensor[tensor] = shard
            }
        } else if fileManager.fileExists(atPath: singleURL.path) {
            let file = try SafetensorsFile(contentsOf: singleURL)
            for name in file.tensorNames { fileForTensor[name] = file }
        } else {
            throw InputError("no \(Self.singleFileName) or \(Self.indexFileName) in the model directory", url: directory)
        }
        self.fileForTensor = fileForTensor
        self.tensorNames = fileForTensor.keys.sorted()
    }

    /// The shape of tensor `name`, or nil if the checkpoint has no such tensor.
    public func shape(of name: String) -> [Int]? { fileForTensor[name]?.shape(of: name) }

    /// The stored element type of tensor `name`, or nil if the checkpoint has no such tensor.
    public func dtype(of name: String) -> TensorDType? { fileForTensor[name]?.dtype(of: name) }

    /// The stored bytes of tensor `name` in its mapped shard and that shard (whose lifetime bounds the bytes'), or nil
    /// if the checkpoint has no such tensor.
    public func mappedBytes(of name: String) -> (bytes: UnsafeRawBufferPointer, owner: SafetensorsFile)? {
        guard let file = fileForTensor[name], let bytes = file.mappedBytes(of: name) else { return nil }
        return (bytes, file)
    }

    /// Tensor `name` converted to `Float`.
    public func floatTensor(_ name: String) throws -> FloatTensor {
        guard let file = fileForTensor[name] else {
            throw InputError("no tensor named \"\(name)\" in the checkpoint", url: directory)
        }
        return try file.floatTensor(name)
    }

    /// Tensors `names` converted to `Float` and laid end to end in one array (the parts of a fused matrix: q | k | v,
    /// gate | up), each converted straight into its place: no array per tensor, no second copy.
    public func floatValues(concatenating names: [String]) throws -> [Float] {
        let parts = try names.map { name -> (file: SafetensorsFile, name: String, count: Int) in
            guard let file = fileForTensor[name], let shape = file.shape(of: name) else {
                throw InputError("no tensor named \"\(name)\" in the checkpoint", url: directory)
            }
            return (file, name, shape.reduce(1, *))
        }
        let total = parts.reduce(0) { $0 + $1.count }
        return [Float](count: total) { buffer in
            let destination = buffer.baseAddress!
            var offset = 0
            for part in parts {
                part.file.withRawBytes(of: part.name) { bytes in
                    guard let source = bytes.baseAddress, part.count > 0, let dtype = part.file.dtype(of: part.name) else { return }
                    MemoryAdvice.prefault(source, byteCount: bytes.count)
                    dtype.convertToFloat(source, count: part.count, into: destination + offset)
                }
                offset += part.count
            }
        }
    }

    /// The `weight_map` of an index file; shard names must be plain file names in the same directory.
    private static func readWeightMap(_ url: URL) throws -> [String: String] {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: Data(contentsOf: url))
        } catch {
            throw InputError("not valid JSON", url: url)
        }
        guard case .object(let top) = document, case .object(let map)? = top["weight_map"] else {
            throw InputError("key \"weight_map\" is missing or not an object", url: url)
        }
        var result: [String: String] = [:]
        for (tensor, value) in map {
            guard case .string(let shard) = value else {
                throw InputError("weight_map entry for \"\(tensor)\" is not a string", url: url)
            }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw InputError("weight_map entry for \"\(tensor)\" is not a file name in the model directory: \"\(shard)\"", url: url)
            }
            result[tensor] = shard
        }
        return result
    }
}
