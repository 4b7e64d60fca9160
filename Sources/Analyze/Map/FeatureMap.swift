import Formats
import Foundation
import LMRuntime
import Parallelism

/// A 2-D map of the decoder directions: UMAP's layout (umap-learn's `optimize_layout_euclidean`) of the fuzzy
/// graph of each feature's nearest features by decoder cosine (distance `1 − cos`), started from the directions'
/// first two principal components. The SGD splits the features into `Parameters.parts` ranges (`ParallelLayoutSGD`,
/// run on `--threads` threads; one part is umap-learn's serial loop with one seeded generator). The part count, not
/// the thread count, fixes the layout: the same decoder, seed and part count give the same map bit for bit on any
/// number of threads, and different part counts give different (equally good) maps.
public struct FeatureMap: Sendable {
    public struct Parameters: Equatable, Sendable {
        /// Other features per feature in the graph (umap-learn's default `n_neighbors = 15` counts the point too).
        public var neighbors = 14
        /// Epochs of SGD; nil for umap-learn's default (500 up to 10,000 points, else 200).
        public var epochs: Int?
        /// Curve parameters for `min_dist = 0.1`, `spread = 1` (umap-learn's `find_ab_params`).
        public var a = 1.576_943_460_405_378
        public var b = 0.895_060_878_122_785_9
        public var negativeSampleRate = 5
        public var seed: UInt64 = 0
        /// Ranges the SGD splits the features into, each moved by one thread at a time. A constant by default, so
        /// that a run's map does not depend on the machine's core count or `--threads`.
        public var parts = 8

        public init() {}
    }

    public let pointCount: Int
    /// `pointCount × 2`, row-major.
    public let coordinates: [Float]
    public let parameters: Parameters
    public let epochs: Int

    /// `decoder` is `W_dec` (`[m, d]`, row-major); `neighbors` holds each feature's nearest features by decoder
    /// cosine, best first (a `NeighborTable` of `DecoderSimilarity`'s cosines).
    public init(decoder: FloatTensor, neighbors: NeighborTable, parameters: Parameters = Parameters()) {
        let m = neighbors.dSae
        precondition(decoder.shape.count == 2 && decoder.shape[0] == m)
        pointCount = m
        self.parameters = parameters
        let epochs = parameters.epochs ?? (m <= 10_000 ? 500 : 200)
        self.epochs = epochs
        let graph = FuzzyNeighborGraph(pointCount: m) { i in
            neighbors.neighbors(of: i).prefix(parameters.neighbors).map { ($0.feature, 1 - Double($0.value)) }
        }
        var coordinates = Self.principalComponents(decoder, seed: parameters.seed)
        if parameters.parts > 1 {
            ParallelLayoutSGD.optimize(&coordinates, graph: graph, epochs: epochs, parameters: parameters, parts: parameters.parts)
        } else {
            Self.optimize(&coordinates, graph: graph, epochs: epochs, parameters: parameters)
        }
        self.coordinates = coordinates
    }

    /// The first two principal components of the unit-normalised rows, by 20 steps of subspace iteration
    /// (`V ← orth(X̃ᵀ X̃ V)` with two sgemms a step; the centring `X̃ = X − 1μᵀ` is applied to the products, so X
    /// is never copied), scaled so the largest coordinate is 10, as umap-learn scales its initial coordinates,
    /// plus 1e-4 of seeded noise so no two points start at the same place.
    static func principalComponents(_ decoder: FloatTensor, seed: UInt64) -> [Float] {
        let m = decoder.shape[0], d = decoder.shape[1]
        guard m > 0, d > 0 else { return [] }
        var x = decoder.values
        var mean = [Float](repeating: 0, count: d)
        for f in 0..<m {
            var norm: Float = 0
            for i in 0..<d { norm += x[f * d + i] * x[f * d + i] }
            let scale = norm > 0 ? 1 / norm.squareRoot() : 0
            for i in 0..<d {
                x[f * d + i] *= scale
                mean[i] += x[f * d + i] / Float(m)
            }
        }
        var random = SplitMix64(seed: seed ^ 0x6D_6170)
        func uniform() -> Float { Float(random.next() >> 40) / Float(1 << 24) }
        var v = (0..<(d * 2)).map { _ in uniform() - 0.5 }  // d × 2, row-major
        var p = [Float](repeating: 0, count: m * 2)  // m × 2
        func project() {
            // p = X v − 1 (μᵀ v)
            MatrixProducts.multiply(x, v, into: &p, m: m, n: 2, k: d)
            for c in 0..<2 {
                var shift: Float = 0
                for i in 0..<d { shift += mean[i] * v[i * 2 + c] }
                for f in 0..<m { p[f * 2 + c] -= shift }
            }
        }
        for _ in 0..<20 {
            project()
            // v = Xᵀ p − μ (1ᵀ p), then Gram–Schmidt on its two columns.
            MatrixProducts.multiply(x, transposeA: true, p, into: &v, m: d, n: 2, k: m)
            for c in 0..<2 {
                var total: Float = 0
                for f in 0..<m { total += p[f * 2 + c] }
                for i in 0..<d { v[i * 2 + c] -= mean[i] * total }
            }
            var norm0: Float = 0
            for i in 0..<d { norm0 += v[i * 2] * v[i * 2] }
            norm0 = norm0.squareRoot()
            guard norm0 > 0 else { break }
            for i in 0..<d { v[i * 2] /= norm0 }
            var dot: Float = 0
            for i in 0..<d { dot += v[i * 2] * v[i * 2 + 1] }
            var norm1: Float = 0
            for i in 0..<d {
                v[i * 2 + 1] -= dot * v[i * 2]
                norm1 += v[i * 2 + 1] * v[i * 2 + 1]
            }
            norm1 = norm1.squareRoot()
            guard norm1 > 0 else { break }
            for i in 0..<d { v[i * 2 + 1] /= norm1 }
        }
        project()
        let largest = p.reduce(0) { max($0, abs($1)) }
        let scale = largest > 0 ? 10 / largest : 0
        return p.map { $0 * scale + (uniform() - 0.5) * 2e-4 }
    }

    /// umap-learn's SGD: each edge is sampled in proportion to its weight, pulled together with the attractive
    /// gradient `−2ab·d^(2b−2) / (1 + a·d^(2b))` and followed by `negativeSampleRate` repulsive samples
    /// `2b / ((0.001 + d²)(1 + a·d^(2b)))`, gradients clipped to ±4, learning rate falling linearly from 1 to 0.
    static func optimize(_ y: inout [Float], graph: FuzzyNeighborGraph, epochs: Int, parameters: Parameters) {
        let n = graph.pointCount, edgeCount = graph.weights.count
        guard n > 1, edgeCount > 0, epochs > 0 else { return }
        let a = Float(parameters.a), b = Float(parameters.b)
        let schedule = LayoutSchedule(weights: graph.weights, epochs: epochs, negativeSampleRate: parameters.negativeSampleRate)
        var nextSample = schedule.epochsPerSample
        var nextNegativeSample = schedule.epochsPerNegativeSample
        var random = SplitMix64(seed: parameters.seed)
        @inline(__always) func clip(_ g: Float) -> Float { min(max(g, -4), 4) }
        y.withUnsafeMutableBufferPointer { y in
            graph.heads.withUnsafeBufferPointer { heads in
                graph.tails.withUnsafeBufferPointer { tails in
                    schedule.epochsPerSample.withUnsafeBufferPointer { perSample in
                        schedule.epochsPerNegativeSample.withUnsafeBufferPointer { perNegative in
                            for epoch in 0..<epochs {
                                let alpha = schedule.learningRate(atEpoch: epoch)
                                let now = Float(epoch)
                                for e in 0..<edgeCount where perSample[e] > 0 && nextSample[e] <= now {
                                    let j = Int(heads[e]), k = Int(tails[e])
                                    var dx = y[2 * j] - y[2 * k], dy = y[2 * j + 1] - y[2 * k + 1]
                                    var d2 = dx * dx + dy * dy
                                    if d2 > 0 {
                                        let pb = Foundation.pow(d2, b)
                                        let g = -2 * a * b * (pb / d2) / (a * pb + 1)
                                        let gx = clip(g * dx) * alpha, gy = clip(g * dy) * alpha
                                        y[2 * j] += gx
                                        y[2 * j + 1] += gy
                                        y[2 * k] -= gx
                                        y[2 * k + 1] -= gy
                                    }
                                    nextSample[e] += perSample[e]
                                    let negatives = LayoutSchedule.negativeSampleCount(
                                        now: now, nextNegativeSample: nextNegativeSample[e],
                                        epochsPerNegativeSample: perNegative[e])
                                    for _ in 0..<negatives {
                                        let other = Int(random.next() % UInt64(n))
                                        if other == j { continue }
                                        dx = y[2 * j] - y[2 * other]
                                        dy = y[2 * j + 1] - y[2 * other + 1]
                                        d2 = dx * dx + dy * dy
                                        guard d2 > 0 else { continue }
                                        let g = 2 * b / ((0.001 + d2) * (a * Foundation.pow(d2, b) + 1))
                                        y[2 * j] += clip(g * dx) * alpha
                                        y[2 * j + 1] += clip(g * dy) * alpha
                                    }
                                    nextNegativeSample[e] += Float(negatives) * perNegative[e]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
