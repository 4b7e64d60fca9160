import Formats
import Foundation

/// `neighbors_<ts>.npz`: for every feature, its nearest features by decoder cosine and by co-occurrence.
/// Used for features whose summary record carries no neighbour lists (the seed's records, never-fired features).
public struct FeatureNeighbors: Sendable {
    public let dSae: Int
    public let width: Int
    let decoderIndices: [Int32], decoderValues: [Float]
    let cooccurrenceIndices: [Int32], cooccurrenceValues: [Float]

    /// Builds the table from the four `[d_sae, K]` arrays; throws when their shapes disagree.
    init(
        decoderIndices: NPYArray, decoderValues: NPYArray, cooccurrenceIndices: NPYArray,
        cooccurrenceValues: NPYArray, dSae: Int
    ) throws {
        let arrays = [decoderIndices, decoderValues, cooccurrenceIndices, cooccurrenceValues]
        guard let shape = arrays.first?.shape, shape.count == 2, shape[0] == dSae,
            arrays.allSatisfy({ $0.shape == shape })
        else {
            throw InputError("neighbour arrays must all have shape [\(dSae), K]; got \(arrays.map(\.shape))")
        }
        self.dSae = dSae
        width = shape[1]
        self.decoderIndices = try decoderIndices.int32Values()
        self.decoderValues = try decoderValues.floatValues()
        self.cooccurrenceIndices = try cooccurrenceIndices.int32Values()
        self.cooccurrenceValues = try cooccurrenceValues.floatValues()
    }

    /// Reads `url`; throws `InputError` when an array is missing or the shapes disagree.
    static func load(_ url: URL, dSae: Int) throws -> FeatureNeighbors? {
        let arrays = try NPZ.read(url)
        let names = ["decoder_indices", "decoder_values", "cooccurrence_indices", "cooccurrence_values"]
        let found = names.compactMap { arrays[$0] }
        guard found.count == names.count else {
            throw InputError("missing arrays \(names.filter { arrays[$0] == nil }) in neighbour lists", url: url)
        }
        do {
            return try FeatureNeighbors(
                decoderIndices: found[0], decoderValues: found[1], cooccurrenceIndices: found[2],
                cooccurrenceValues: found[3], dSae: dSae)
        } catch let error as InputError {
            throw InputError(error.message, url: url)
        }
    }

    /// Up to `limit` neighbours of `feature` by decoder cosine (`cooccurrence: false`) or co-occurrence;
    /// out-of-range and `-1` entries are skipped.
    public func neighbors(of feature: Int, cooccurrence: Bool, limit: Int = 10) -> [FeatureRecord.Neighbor] {
        guard feature >= 0, feature < dSae else { return [] }
        let indices = cooccurrence ? cooccurrenceIndices : decoderIndices
        let values = cooccurrence ? cooccurrenceValues : decoderValues
        var result: [FeatureRecord.Neighbor] = []
        for j in 0..<width where result.count < limit {
            let index = Int(indices[feature * width + j])
            guard index >= 0, index < dSae, index != feature else { continue }
            result.append(.init(feature: index, value: Double(values[feature * width + j])))
        }
        return result
    }
}
