import Parallelism

/// The `k` nearest neighbours of every feature under some similarity, best first: ties go to the lower feature
/// id, a feature is never its own neighbour, and rows with fewer than `k` candidates are padded with index -1
/// and value 0.
public struct NeighborTable: Equatable, Sendable {
    public let dSae: Int
    public let k: Int
    /// `dSae × k` neighbour ids, row-major.
    public private(set) var indices: [Int32]
    /// `dSae × k` similarity values, row-major.
    public private(set) var values: [Float]

    public init(dSae: Int, k: Int = 32) {
        self.dSae = dSae
        self.k = k
        indices = Array(repeating: -1, count: dSae * k)
        values = Array(repeating: 0, count: dSae * k)
    }

    /// The neighbours of `feature` (padding left out).
    public func neighbors(of feature: Int) -> [(feature: Int, value: Float)] {
        (0..<k).compactMap { slot in
            let index = indices[feature * k + slot]
            return index < 0 ? nil : (Int(index), values[feature * k + slot])
        }
    }

    /// Fills the rows `rows` from a dense block of similarities (`rows.count × dSae`, row-major).
    /// `isCandidate(i, j)` can exclude pairs (e.g. features that never fired together); it is called from several
    /// threads at once (the rows are split over `Parallelism.workerCount` workers; each row's result does not depend
    /// on the split).
    public mutating func fill(
        rows: Range<Int>, block: UnsafeBufferPointer<Float>,
        isCandidate: (Int, Int) -> Bool = { _, _ in true }
    ) {
        precondition(block.count == rows.count * dSae)
        let dSae = dSae, k = k
        indices.withUnsafeMutableBufferPointer { indices in
            values.withUnsafeMutableBufferPointer { values in
                Parallelism.forEachRange(rows.count, minimumPerWorker: 8) { part in
                    var bestIndex = [Int32](repeating: -1, count: k)
                    var bestValue = [Float](repeating: 0, count: k)
                    for offset in part {
                        let i = rows.lowerBound + offset
                        var size = 0
                        let row = block.baseAddress! + offset * dSae
                        for j in 0..<dSae where j != i {
                            let value = row[j]
                            // Candidates arrive in increasing j, so an equal value never displaces an earlier one.
                            if size == k && !(value > bestValue[k - 1]) { continue }
                            guard !value.isNaN, isCandidate(i, j) else { continue }
                            var slot = size < k ? size : k - 1
                            while slot > 0 && value > bestValue[slot - 1] {
                                bestValue[slot] = bestValue[slot - 1]
                                bestIndex[slot] = bestIndex[slot - 1]
                                slot -= 1
                            }
                            bestValue[slot] = value
                            bestIndex[slot] = Int32(j)
                            if size < k { size += 1 }
                        }
                        for slot in 0..<k {
                            indices[i * k + slot] = slot < size ? bestIndex[slot] : -1
                            values[i * k + slot] = slot < size ? bestValue[slot] : 0
                        }
                    }
                }
            }
        }
    }
}
