import Formats
import Foundation

/// `matrices/feature_map_<ts>.npy`: float32 `[d_sae, 2]`, each feature's position on the 2-D map.
struct FeatureMapCoordinates: Sendable {
    /// `dSae × 2`, row-major.
    let values: [Float]
    let dSae: Int

    /// Reads `url`; throws `InputError` when the shape is not `[dSae, 2]` or a coordinate is not finite.
    static func load(_ url: URL, dSae: Int) throws -> FeatureMapCoordinates {
        let array = try NPY.read(url)
        guard array.shape == [dSae, 2] else {
            throw InputError("feature map must have shape [\(dSae), 2]; got \(array.shape)", url: url)
        }
        let values: [Float]
        do { values = try array.floatValues() } catch let error as InputError { throw InputError(error.message, url: url) }
        guard values.allSatisfy(\.isFinite) else { throw InputError("feature map has a non-finite coordinate", url: url) }
        return FeatureMapCoordinates(values: values, dSae: dSae)
    }
}
