import Analyze
import Foundation
import Formats
import LMRuntime
import Parallelism

/// `sae-bench map [FEATURES] [D] [WORKERS] [ROUNDS] [BASELINE]`: the feature map's cost on a random decoder of FEATURES
/// directions in D dimensions (64 groups around random centres, so the graph has structure), WORKERS threads, and one
/// thread side by side (alternating, ROUNDS times) unless BASELINE is `no`: the decoder-cosine neighbour table it reads
/// (the analysis computes it anyway, for `neighbors_<ts>.npz`; sgemm blocks with OpenBLAS on WORKERS threads on both
/// sides, then the top-k scan), then `FeatureMap` (fuzzy graph, PCA start, SGD), the code `analyze` runs. Prints each
/// stage's median wall and CPU seconds (user + system of the whole process, steadier than wall time on a shared
/// machine), the ratios, whether the neighbour tables and maps agree (they must, at any thread count), and two
/// quality figures of each layout over its first 2000 points: how often a point's nearest map point is from its own
/// group, and the share of its graph neighbours (the 14 nearest by decoder cosine) among its 14 nearest map points.
/// Defaults: 16,384 features, d = 512, every core, 1 round, with the baseline.
enum MapBench {
    static func run(_ args: [String]) throws {
        let m = args.count > 0 ? Int(args[0])! : 16_384
        let d = args.count > 1 ? Int(args[1])! : 512
        let workers = args.count > 2 ? Int(args[2])! : ProcessInfo.processInfo.activeProcessorCount
        let rounds = args.count > 3 ? Int(args[3])! : 1
        let threadCounts = args.count > 4 && args[4] == "no" ? [workers] : Array(Set([1, workers])).sorted()
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
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores, load \(String(format: "%.1f", loadAverage()))")

        // OpenBLAS keeps WORKERS threads on both sides (the sgemm was multi-threaded before): the ratio is the
        // top-k scan's and the SGD's.
        Parallelism.setWorkerCount(workers)
        BLAS.configure()
        var neighbourSeconds: [Int: [Double]] = [:], layoutSeconds: [Int: [Double]] = [:]
        var neighbourCPU: [Int: [Double]] = [:], layoutCPU: [Int: [Double]] = [:]
        var tables: [Int: NeighborTable] = [:], maps: [Int: FeatureMap] = [:]
        for _ in 0..<rounds {
            for threads in threadCounts {
                Parallelism.setWorkerCount(threads)
                var clock = ContinuousClock.now
                var cpu = ProcessUsage.cpuSeconds()
                var table = NeighborTable(dSae: m, k: 32)
                DecoderSimilarity(decoder: decoder).forEachBlock { rows, block in table.fill(rows: rows, block: block) }
                neighbourSeconds[threads, default: []].append(LogitEffectsBench.seconds(since: clock))
                neighbourCPU[threads, default: []].append(ProcessUsage.cpuSeconds() - cpu)
                clock = .now
                cpu = ProcessUsage.cpuSeconds()
                let map = FeatureMap(decoder: decoder, neighbors: table)
                layoutSeconds[threads, default: []].append(LogitEffectsBench.seconds(since: clock))
                layoutCPU[threads, default: []].append(ProcessUsage.cpuSeconds() - cpu)
                tables[threads] = table
                maps[threads] = map
            }
        }
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        func f2(_ x: Double) -> String { String(format: "%.2f", x) }
        for threads in threadCounts {
            let map = maps[threads]!
            print(
                "  \(threads) thread(s): neighbour table \(f2(median(neighbourSeconds[threads]!))) s wall, "
                    + "\(f2(median(neighbourCPU[threads]!))) s CPU; FeatureMap \(f2(median(layoutSeconds[threads]!))) s wall, "
                    + "\(f2(median(layoutCPU[threads]!))) s CPU (\(map.epochs) epochs, \(map.parameters.parts) parts)")
            print(
                "    quality over the first \(min(m, 2000)): nearest map point in the same group "
                    + "\(String(format: "%.1f", sameGroupPercent(map, m: m)))%, graph neighbours among the map's "
                    + "\(map.parameters.neighbors) nearest \(String(format: "%.1f", neighbourPreservationPercent(map, table: tables[threads]!)))%")
        }
        guard threadCounts.count == 2 else { return }
        print(
            "  \(workers)/1 threads: neighbour table \(f2(median(neighbourSeconds[1]!) / median(neighbourSeconds[workers]!)))× faster, "
                + "FeatureMap \(f2(median(layoutSeconds[1]!) / median(layoutSeconds[workers]!)))× faster; "
                + "neighbour tables \(tables[1] == tables[workers] ? "identical" : "DIFFER"), "
                + "maps \(maps[1]!.coordinates == maps[workers]!.coordinates ? "identical" : "DIFFER")")
    }

    /// The share of each point's graph neighbours (its first `neighbors` by decoder cosine) among its `neighbors`
    /// nearest points on the map, over the first 2000 points: how much of the graph the layout keeps.
    static func neighbourPreservationPercent(_ map: FeatureMap, table: NeighborTable) -> Double {
        let m = map.pointCount, k = map.parameters.neighbors
        var kept = 0, total = 0
        for f in 0..<min(m, 2000) {
            // The k nearest, kept sorted by insertion (k is small).
            var nearestPoints: [(distance: Float, point: Int)] = []
            for g in 0..<m where g != f {
                let dx = map.coordinates[2 * f] - map.coordinates[2 * g], dy = map.coordinates[2 * f + 1] - map.coordinates[2 * g + 1]
                let distance = dx * dx + dy * dy
                guard nearestPoints.count < k || distance < nearestPoints[k - 1].distance else { continue }
                let slot = nearestPoints.firstIndex { $0.distance > distance } ?? nearestPoints.count
                nearestPoints.insert((distance, g), at: slot)
                if nearestPoints.count > k { nearestPoints.removeLast() }
            }
            let nearest = Set(nearestPoints.map(\.point))
            let graph = table.neighbors(of: f).prefix(k).map(\.feature)
            kept += graph.filter(nearest.contains).count
            total += graph.count
        }
        return 100 * Double(kept) / Double(max(1, total))
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
