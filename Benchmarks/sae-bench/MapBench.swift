import Analyze
import Foundation
import Formats

/// `sae-bench map [FEATURES] [D]`: the feature map's cost on a random decoder of FEATURES directions in D dimensions
/// (64 groups around random centres, so the graph has structure): the decoder-cosine neighbour table it reads (the
/// analysis computes it anyway, for `neighbors_<ts>.npz`), then `FeatureMap` (fuzzy graph, PCA start, SGD) timed
/// alone, with the number of graph edges and epochs. Defaults: 16,384 features, d = 512.
enum MapBench {
    static func run(_ args: [String]) throws {
        let m = args.count > 0 ? Int(args[0])! : 16_384
        let d = args.count > 1 ? Int(args[1])! : 512
        var random = SplitMix64(seed: 11)
        func gaussian() -> Float {
            let u = Double(random.next() >> 11) / Double(1 << 53) + 1e-300, v = Double(random.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
        let centres = (0..<(64 * d)).map { _ in gaussian() }
        var values = [Float](repeating: 0, count: m * d)
        for f in 0..<m { for x in 0..<d { values[f * d + x] = centres[(f % 64) * d + x] + 1.5 * gaussian() } }
        let decoder = FloatTensor(shape: [m, d], values: values)
        var clock = ContinuousClock.now
        var table = NeighborTable(dSae: m, k: 32)
        DecoderSimilarity(decoder: decoder).forEachBlock { rows, block in table.fill(rows: rows, block: block) }
        let neighbours = LogitEffectsBench.seconds(since: clock)
        clock = .now
        let map = FeatureMap(decoder: decoder, neighbors: table)
        let layout = LogitEffectsBench.seconds(since: clock)
        var same = 0
        for f in 0..<min(m, 2000) {
            // How often a point's nearest point on the map is from its own group (a sanity figure).
            var best = -1, bestDistance = Float.infinity
            for g in 0..<m where g != f {
                let dx = map.coordinates[2 * f] - map.coordinates[2 * g], dy = map.coordinates[2 * f + 1] - map.coordinates[2 * g + 1]
                if dx * dx + dy * dy < bestDistance { (best, bestDistance) = (g, dx * dx + dy * dy) }
            }
            if best % 64 == f % 64 { same += 1 }
        }
        print(
            "feature map, \(m) features × d \(d): decoder-cosine neighbour table \(String(format: "%.2f", neighbours)) s "
                + "(sgemm blocks; part of every analysis); FeatureMap \(String(format: "%.2f", layout)) s "
                + "(\(map.epochs) epochs, one thread); nearest map point in the same group for "
                + "\(String(format: "%.1f", 100 * Double(same) / Double(min(m, 2000))))% of the first \(min(m, 2000))")
    }
}
