import Analyze
import Foundation
import Formats
import LMRuntime
import Parallelism

/// `sae-bench map [FEATURES] [D] [WORKERS] [ROUNDS]`: the feature map's cost on a random decoder of FEATURES
/// directions in D dimensions (64 groups around random centres, so the graph has structure), one thread against
/// WORKERS threads side by side (alternating, ROUNDS times): the decoder-cosine neighbour table it reads (the analysis
/// computes it anyway, for `neighbors_<ts>.npz`; sgemm blocks with OpenBLAS on WORKERS threads on both sides, then
/// the top-k scan), then `FeatureMap` (fuzzy graph, PCA start, SGD). Prints the medians, the ratios, whether the neighbour
/// tables agree (they must, at any thread count), and how often a point's nearest point on the map is from its own
/// group for each layout. Defaults: 16,384 features, d = 512, every core, 1 round.
enum MapBench {
    static func run(_ args: [String]) throws {
        let m = args.count > 0 ? Int(args[0])! : 16_384
        let d = args.count > 1 ? Int(args[1])! : 512
        let workers = args.count > 2 ? Int(args[2])! : ProcessInfo.processInfo.activeProcessorCount
        let rounds = args.count > 3 ? Int(args[3])! : 1
        var random = SplitMix64(seed: 11)
        func gaussian() -> Float {
            let u = Double(random.next() >> 11) / Double(1 << 53) + 1e-300, v = Double(random.next() >> 11) / Double(1 << 53)
            return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
        }
        let centres = (0..<(64 * d)).map { _ in gaussian() }
        var values = [Float](repeating: 0, count: m * d)
        for f in 0..<m { for x in 0..<d { values[f * d + x] = centres[(f % 64) * d + x] + 1.5 * gaussian() } }
        let decoder = FloatTensor(shape: [m, d], values: values)
        print(
            "feature map, \(m) features × d \(d), OpenBLAS \(BLAS.coreName ?? "?") kernels, \(rounds) round(s), "
                + "load \(String(format: "%.1f", loadAverage()))")

        // OpenBLAS keeps WORKERS threads on both sides (the sgemm was multi-threaded before): the ratio is the
        // top-k scan's and the SGD's.
        Parallelism.setWorkerCount(workers)
        BLAS.configure()
        var neighbourSeconds: [Int: [Double]] = [:], layoutSeconds: [Int: [Double]] = [:]
        var tables: [Int: NeighborTable] = [:], maps: [Int: FeatureMap] = [:]
        for _ in 0..<rounds {
            for threads in [1, workers] {
                Parallelism.setWorkerCount(threads)
                var clock = ContinuousClock.now
                var table = NeighborTable(dSae: m, k: 32)
                DecoderSimilarity(decoder: decoder).forEachBlock { rows, block in table.fill(rows: rows, block: block) }
                neighbourSeconds[threads, default: []].append(LogitEffectsBench.seconds(since: clock))
                clock = .now
                let map = FeatureMap(decoder: decoder, neighbors: table)
                layoutSeconds[threads, default: []].append(LogitEffectsBench.seconds(since: clock))
                tables[threads] = table
                maps[threads] = map
            }
        }
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        for threads in [1, workers] {
            print(
                "  \(threads) thread(s): neighbour table \(String(format: "%.2f", median(neighbourSeconds[threads]!))) s, "
                    + "FeatureMap \(String(format: "%.2f", median(layoutSeconds[threads]!))) s "
                    + "(\(maps[threads]!.epochs) epochs); nearest map point in the same group for "
                    + "\(String(format: "%.1f", sameGroupPercent(maps[threads]!, m: m)))% of the first \(min(m, 2000))")
        }
        print(
            "  \(workers)/1 threads: neighbour table \(String(format: "%.2f", median(neighbourSeconds[1]!) / median(neighbourSeconds[workers]!)))× faster, "
                + "FeatureMap \(String(format: "%.2f", median(layoutSeconds[1]!) / median(layoutSeconds[workers]!)))× faster; "
                + "neighbour tables \(tables[1] == tables[workers] ? "identical" : "DIFFER"), "
                + "maps \(maps[1]!.coordinates == maps[workers]!.coordinates ? "identical" : "DIFFER")")
    }

    /// How often a point's nearest point on the map is from its own group (a sanity figure), over the first 2000.
    static func sameGroupPercent(_ map: FeatureMap, m: Int) -> Double {
        var same = 0
        for f in 0..<min(m, 2000) {
            var best = -1, bestDistance = Float.infinity
            for g in 0..<m where g != f {
                let dx = map.coordinates[2 * f] - map.coordinates[2 * g], dy = map.coordinates[2 * f + 1] - map.coordinates[2 * g + 1]
                if dx * dx + dy * dy < bestDistance { (best, bestDistance) = (g, dx * dx + dy * dy) }
            }
            if best % 64 == f % 64 { same += 1 }
        }
        return 100 * Double(same) / Double(min(m, 2000))
    }

    static func loadAverage() -> Double {
        var load = [Double](repeating: 0, count: 1)
        return getloadavg(&load, 1) == 1 ? load[0] : .nan
    }
}
