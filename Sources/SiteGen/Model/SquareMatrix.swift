import Formats
import Foundation

/// A float32 `[d_sae, d_sae]` matrix in a `.npy` file (decoder cosine or co-occurrence), memory-mapped: cutting
/// out the sub-matrices the cluster pages draw reads only the pages those rows and columns lie on, never the whole
/// matrix (1 GiB at 16384 features).
struct SquareMatrix {
    let n: Int
    private let array: NPYMappedArray

    /// Maps `url`; throws `InputError` unless it is a float32 `[n, n]` array with `n == dSae`.
    init(url: URL, dSae: Int) throws {
        array = try NPYMappedArray(url: url)
        guard array.dtype == .float32, array.shape == [dSae, dSae] else {
            throw InputError("expected a float32 [\(dSae), \(dSae)] matrix, found \(array.dtype.descr) \(array.shape)", url: url)
        }
        n = dSae
    }

    /// The rows and columns `ids` (each in 0..<n), row-major. The pages read are released afterwards, so a pass
    /// over many clusters does not accumulate the matrix in memory.
    func submatrix(_ ids: [Int]) -> [Float] {
        defer { array.releaseResidentPages() }
        return array.withUnsafeDataBytes { raw in
            var out = [Float](repeating: 0, count: ids.count * ids.count)
            for (r, row) in ids.enumerated() {
                for (c, column) in ids.enumerated() {
                    out[r * ids.count + c] = Float(
                        bitPattern: UInt32(
                            littleEndian:
                                raw.loadUnaligned(fromByteOffset: 4 * (row * n + column), as: UInt32.self)))
                }
            }
            return out
        }
    }
}
