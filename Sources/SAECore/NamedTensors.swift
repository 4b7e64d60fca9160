import Formats
import Foundation

/// Strict access to the tensors of one weights file: a required tensor must exist with exactly the given shape.
/// Errors name the file (`source`), the tensor and, for a missing one, the tensors the file has.
struct NamedTensors {
    let source: String
    let names: Set<String>
    let shape: (String) -> [Int]?
    let read: (String) throws -> FloatTensor

    /// A safetensors file's tensors, with `aliases` (file name → canonical name) applied.
    init(safetensors file: SafetensorsFile, aliases: [String: String] = [:]) {
        var names: [String: String] = [:]
        for name in file.tensorNames { names[aliases[name] ?? name] = name }
        self.init(
            source: file.url.path, names: Set(names.keys),
            shape: { file.shape(of: names[$0]!) }, read: { try file.floatTensor(names[$0]!) })
    }

    /// A torch state dict's tensors.
    init(stateDict: TorchStateDict) {
        self.init(
            source: stateDict.url.path, names: Set(stateDict.tensorNames),
            shape: { stateDict.shape(of: $0) }, read: { try stateDict.floatTensor($0) })
    }

    /// The arrays of an `.npz` file, with `aliases` applied.
    init(npz url: URL, aliases: [String: String] = [:]) throws {
        var arrays: [String: NPYArray] = [:]
        for (name, array) in try NPZ.read(url) { arrays[aliases[name] ?? name] = array }
        self.init(
            source: url.path, names: Set(arrays.keys), shape: { arrays[$0]?.shape },
            read: { name in
                do {
                    return try arrays[name]!.floatTensor()
                } catch let error as InputError {
                    throw InputError("array \"\(name)\": \(error.message)", path: url.path)
                }
            })
    }

    init(source: String, names: Set<String>, shape: @escaping (String) -> [Int]?, read: @escaping (String) throws -> FloatTensor) {
        self.source = source
        self.names = names
        self.shape = shape
        self.read = read
    }

    func required(_ name: String, shape expected: [Int]) throws -> FloatTensor {
        guard names.contains(name) else {
            throw InputError("missing tensor \"\(name)\" (the file has: \(names.sorted().joined(separator: ", ")))", path: source)
        }
        return try optional(name, shape: expected)!
    }

    func optional(_ name: String, shape expected: [Int]) throws -> FloatTensor? {
        guard names.contains(name) else { return nil }
        let actual = shape(name) ?? []
        guard actual == expected else {
            throw InputError("tensor \"\(name)\" has shape \(actual), expected \(expected)", path: source)
        }
        return try read(name)
    }

    /// A `[rows, columns]` tensor stored as its transpose `[columns, rows]` (an `nn.Linear` weight), returned as
    /// row-major `[rows, columns]` values.
    func requiredTransposed(_ name: String, rows: Int, columns: Int) throws -> [Float] {
        transpose(try required(name, shape: [columns, rows]).values, rows: columns, columns: rows)
    }

    /// The shape of `name`, or an error naming the file when it is missing (to read d_in/d_sae off a weight).
    func requiredShape(_ name: String, rank: Int) throws -> [Int] {
        guard names.contains(name) else {
            throw InputError("missing tensor \"\(name)\" (the file has: \(names.sorted().joined(separator: ", ")))", path: source)
        }
        let actual = shape(name) ?? []
        guard actual.count == rank, actual.allSatisfy({ $0 > 0 }) else {
            throw InputError("tensor \"\(name)\" has shape \(actual), expected \(rank) positive dimensions", path: source)
        }
        return actual
    }
}

/// The transpose of a row-major `[rows, columns]` matrix.
func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
    var result = [Float](repeating: 0, count: values.count)
    values.withUnsafeBufferPointer { v in
        result.withUnsafeMutableBufferPointer { r in
            for i in 0..<rows { for j in 0..<columns { r[j * rows + i] = v[i * columns + j] } }
        }
    }
    return result
}
