import Foundation
import Parallelism

/// The feature map's SGD (`FeatureMap.optimize`) split into parts that run on `Parallelism`'s threads, as umap-learn's
/// parallel mode spreads its epochs over threads, but reproducible: the same graph, seed and part count give the same
/// layout bit for bit, on any number of threads.
///
/// The points are split into contiguous ranges of about equal edge count, the parts, and each part walks the
/// edges whose head is in its range (the graph's edges are sorted by head). During an epoch a part reads and moves
/// its own points as the one-thread SGD does; the points of other parts it reads as they were when the epoch
/// started, and its pulls on them are queued and applied after the epoch, part by part in queue order. No two
/// parts ever touch the same memory, so the result does not depend on scheduling. Each part draws its negative
/// samples from its own generator, seeded from the seed and its index, so layouts for different part counts differ
/// (as umap-learn's parallel layouts differ from its serial one).
enum ParallelLayoutSGD {
    /// Optimises `y` (`n × 2`) like `FeatureMap.optimize`, with `parts` parts (at least 2; fewer when there are
    /// too few points to split).
    static func optimize(
        _ y: inout [Float], graph: FuzzyNeighborGraph, epochs: Int, parameters: FeatureMap.Parameters, parts: Int
    ) {
        let n = graph.pointCount, edgeCount = graph.weights.count
        guard n > 1, edgeCount > 0, epochs > 0 else { return }
        let ranges = partition(heads: graph.heads, pointCount: n, parts: min(parts, max(1, n / 32)))
        let a = Float(parameters.a), b = Float(parameters.b)
        let schedule = LayoutSchedule(weights: graph.weights, epochs: epochs, negativeSampleRate: parameters.negativeSampleRate)
        let perSample = schedule.epochsPerSample, perNegative = schedule.epochsPerNegativeSample
        var nextSample = perSample
        var nextNegativeSample = perNegative
        var generators = ranges.indices.map { SplitMix64(seed: parameters.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64($0 + 1)) }
        var pending = [[PendingMove]](repeating: [], count: ranges.count)
        var start = y
        // Which part owns each point.
        var owner = [Int32](repeating: 0, count: n)
        for (part, range) in ranges.enumerated() { for point in range.points { owner[point] = Int32(part) } }

        y.withUnsafeMutableBufferPointer { y in
            start.withUnsafeMutableBufferPointer { start in
                nextSample.withUnsafeMutableBufferPointer { nextSample in
                    nextNegativeSample.withUnsafeMutableBufferPointer { nextNegative in
                        generators.withUnsafeMutableBufferPointer { generators in
                            pending.withUnsafeMutableBufferPointer { pending in
                                for epoch in 0..<epochs {
                                    _ = start.update(fromContentsOf: y)
                                    let step = Step(
                                        alpha: schedule.learningRate(atEpoch: epoch), now: Float(epoch), a: a, b: b,
                                        pointCount: n)
                                    Parallelism.forEach(ranges.count) { part in
                                        step.run(
                                            edges: ranges[part].edges, part: Int32(part), owner: owner, graph: graph,
                                            perSample: perSample, perNegative: perNegative, nextSample: nextSample,
                                            nextNegative: nextNegative, y: y, start: UnsafeBufferPointer(start),
                                            random: &generators[part], pending: &pending[part])
                                    }
                                    for part in 0..<pending.count {
                                        for move in pending[part] {
                                            y[2 * move.point] -= move.dx
                                            y[2 * move.point + 1] -= move.dy
                                        }
                                        pending[part].removeAll(keepingCapacity: true)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One part's share: its points and the edges whose head is among them.
    struct Share {
        var points: Range<Int>
        var edges: Range<Int>
    }

    /// A pull on another part's point, applied after the epoch.
    struct PendingMove {
        var point: Int
        var dx: Float
        var dy: Float
    }

    /// Contiguous point ranges with about `edges / parts` edges each (`heads` sorted ascending).
    static func partition(heads: [Int32], pointCount: Int, parts: Int) -> [Share] {
        var shares: [Share] = []
        var point = 0, edge = 0
        for part in 0..<parts {
            let endPoint: Int
            if part == parts - 1 {
                endPoint = pointCount
            } else {
                // The head of the edge at this part's share of the edges ends the range (at least one point each).
                let target = heads.count * (part + 1) / parts
                let head = target < heads.count ? Int(heads[target]) : pointCount
                endPoint = min(max(head, point + 1), pointCount - (parts - 1 - part))
            }
            var endEdge = edge
            while endEdge < heads.count && Int(heads[endEdge]) < endPoint { endEdge += 1 }
            shares.append(Share(points: point..<endPoint, edges: edge..<endEdge))
            point = endPoint
            edge = endEdge
        }
        return shares
    }

    /// One epoch's constants and one part's walk over its edges (umap-learn's `_optimize_layout_euclidean_single_epoch`).
    struct Step {
        let alpha: Float
        let now: Float
        let a: Float
        let b: Float
        let pointCount: Int

        @inline(__always) private func clip(_ g: Float) -> Float { min(max(g, -4), 4) }

        func run(
            edges: Range<Int>, part: Int32, owner: [Int32], graph: FuzzyNeighborGraph, perSample: [Float],
            perNegative: [Float], nextSample: UnsafeMutableBufferPointer<Float>,
            nextNegative: UnsafeMutableBufferPointer<Float>, y: UnsafeMutableBufferPointer<Float>,
            start: UnsafeBufferPointer<Float>, random: inout SplitMix64, pending: inout [PendingMove]
        ) {
            // Another part's point as the epoch started; one's own as it is now.
            @inline(__always) func position(_ p: Int) -> (Float, Float) {
                owner[p] == part ? (y[2 * p], y[2 * p + 1]) : (start[2 * p], start[2 * p + 1])
            }
            for e in edges where perSample[e] > 0 && nextSample[e] <= now {
                let j = Int(graph.heads[e]), k = Int(graph.tails[e])
                let (kx, ky) = position(k)
                var dx = y[2 * j] - kx, dy = y[2 * j + 1] - ky
                var d2 = dx * dx + dy * dy
                if d2 > 0 {
                    let pb = Foundation.pow(d2, b)
                    let g = -2 * a * b * (pb / d2) / (a * pb + 1)
                    let gx = clip(g * dx) * alpha, gy = clip(g * dy) * alpha
                    y[2 * j] += gx
                    y[2 * j + 1] += gy
                    if owner[k] == part {
                        y[2 * k] -= gx
                        y[2 * k + 1] -= gy
                    } else {
                        pending.append(PendingMove(point: k, dx: gx, dy: gy))
                    }
                }
                nextSample[e] += perSample[e]
                let negatives = LayoutSchedule.negativeSampleCount(
                    now: now, nextNegativeSample: nextNegative[e], epochsPerNegativeSample: perNegative[e])
                for _ in 0..<negatives {
                    let other = Int(random.next() % UInt64(pointCount))
                    if other == j { continue }
                    let (ox, oy) = position(other)
                    dx = y[2 * j] - ox
                    dy = y[2 * j + 1] - oy
                    d2 = dx * dx + dy * dy
                    guard d2 > 0 else { continue }
                    let g = 2 * b / ((0.001 + d2) * (a * Foundation.pow(d2, b) + 1))
                    y[2 * j] += clip(g * dx) * alpha
                    y[2 * j + 1] += clip(g * dy) * alpha
                }
                nextNegative[e] += Float(negatives) * perNegative[e]
            }
        }
    }
}
