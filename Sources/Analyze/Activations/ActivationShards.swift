import Formats
import Foundation

/// The activation rows of a folder's shards, memory-mapped: `[n_tokens, d_in]` split over files in row order.
/// Rows are converted to `Float` only when read, a batch at a time, so a dump far larger than memory is fine.
///
/// A shard is a `.npy` (`<f4` or `<f2`) or a `.safetensors` file with one tensor named `activations` (F32, F16
/// or BF16); every shard holds the manifest's dtype and is `d_in` wide.
final class ActivationShards: @unchecked Sendable {
    private enum Storage {
        case npy(NPYMappedArray)
        case safetensors(SafetensorsFile)
    }

    private struct Shard {
        var url: URL
        var storage: Storage
        var firstRow: Int
        var rows: Int
    }

    let width: Int
    let dtype: TensorDType
    let rowCount: Int
    private let shards: [Shard]

    /// Maps every shard and checks its type and shape; `width` is the SAE's `d_in`.
    init(folder: URL, manifest: ActivationManifest, width: Int) throws {
        let dtype = manifest.dtype.tensorDType
        var shards: [Shard] = []
        var firstRow = 0
        for name in manifest.shards {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw InputError("activation shard missing (listed in \(ActivationManifest.fileName))", url: url)
            }
            let storage: Storage
            let shape: [Int]
            let stored: TensorDType?
            switch url.pathExtension {
            case "npy":
                let array = try NPYMappedArray(url: url)
                storage = .npy(array)
                shape = array.shape
                stored = array.dtype == .float32 ? .f32 : array.dtype == .float16 ? .f16 : nil
            case "safetensors":
                let file = try SafetensorsFile(contentsOf: url)
                guard let tensorShape = file.shape(of: "activations") else {
                    throw InputError("activation shard has no tensor named \"activations\" (it has \(file.tensorNames))", url: url)
                }
                storage = .safetensors(file)
                shape = tensorShape
                stored = file.dtype(of: "activations")
            default:
                throw InputError("activation shard must be a .npy or .safetensors file", url: url)
            }
            guard stored == dtype else {
                throw InputError(
                    "activation shard holds \(stored?.rawValue ?? "an unsupported type"), but the manifest says \(manifest.dtype.rawValue)",
                    url: url)
            }
            guard shape.count == 2 else {
                throw InputError("activation shard has shape \(shape), expected [n_tokens, d_in]", url: url)
            }
            guard shape[1] == width else {
                throw InputError("activation shard is \(shape[1]) wide ([\(shape[0]), \(shape[1])]) but the SAE's d_in is \(width)", url: url)
            }
            shards.append(Shard(url: url, storage: storage, firstRow: firstRow, rows: shape[0]))
            firstRow += shape[0]
        }
        self.width = width
        self.dtype = dtype
        self.rowCount = firstRow
        self.shards = shards
    }

    /// Calls `body` with the stored bytes of the shard's rows (valid only during the call).
    private func withBytes<R>(_ shard: Shard, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch shard.storage {
        case .npy(let array): try array.withUnsafeDataBytes(body)
        case .safetensors(let file): try file.withRawBytes(of: "activations", body)!
        }
    }

    /// Converts rows `range` (of all shards together) into `destination`, row after row.
    func read(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows \(range) outside 0..<\(rowCount)")
        var row = range.lowerBound
        var out = destination
        while row < range.upperBound {
            let shard = shards[index(ofRow: row)]
            let end = min(range.upperBound, shard.firstRow + shard.rows)
            let count = (end - row) * width
            withBytes(shard) { bytes in
                dtype.convertToFloat(bytes.baseAddress! + (row - shard.firstRow) * width * dtype.byteSize, count: count, into: out)
            }
            out += count
            row = end
        }
    }

    private func index(ofRow row: Int) -> Int {
        var low = 0, high = shards.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if shards[middle].firstRow <= row { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Reads every shard once and throws for the first row holding a NaN or an infinity, naming its shard.
    func checkFinite() throws {
        let chunkRows = max(1, (1 << 20) / max(width, 1))
        var buffer = [Float](repeating: 0, count: chunkRows * width)
        for shard in shards {
            for start in stride(from: 0, to: shard.rows, by: chunkRows) {
                let rows = min(chunkRows, shard.rows - start)
                let bad = buffer.withUnsafeMutableBufferPointer { out -> Int? in
                    read(rows: (shard.firstRow + start)..<(shard.firstRow + start + rows), into: out.baseAddress!)
                    for index in 0..<(rows * width) where !out[index].isFinite { return index / width }
                    return nil
                }
                if let bad {
                    throw InputError("activation row \(start + bad) of this shard holds NaN or infinite values", url: shard.url)
                }
            }
            if case .npy(let array) = shard.storage { array.releaseResidentPages() }
        }
    }

    /// The files, in row order.
    var urls: [URL] { shards.map(\.url) }
}
