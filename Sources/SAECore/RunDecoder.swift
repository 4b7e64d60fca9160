import Formats
import Foundation

/// The decoder matrix of the SAE an analysis run used, read from the SAE directory the run's config records.
public enum RunDecoder {
    /// Loads `W_dec` `[d_sae, d_in]` from `directory` (either SAE format, through `SparseAutoencoder(directory:)`).
    /// `recordedHashes` (file name → sha256 hex, the run config's `hashes.sae`) are checked first, so a retrained
    /// SAE at the same path is never matched in place of the one the run analysed; a recorded file that changed or
    /// disappeared throws `InputError` naming it.
    public static func load(directory: URL, recordedHashes: [String: String] = [:]) throws -> FloatTensor {
        for name in recordedHashes.keys.sorted() {
            let file = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw InputError("the run recorded this SAE file but it is no longer there", url: file)
            }
            guard try FileHash.sha256(of: file) == recordedHashes[name]!.lowercased() else {
                throw InputError("this SAE file changed since the run (its sha256 differs from the run's config)", url: file)
            }
        }
        let sae = try SparseAutoencoder(directory: directory)
        return FloatTensor(shape: [sae.dSae, sae.dIn], values: sae.decoderWeight)
    }
}
