import Analyze
import COpenBLAS
import Foundation
import Formats

/// `sae-bench logit-effects [FEATURES] [VOCAB] [D]`: `LogitEffects` (top ± tokens and the 50-bin logit-weight
/// histogram of every feature, full-vocabulary rows per feature block) against the previous layout's products alone
/// (one sgemm per 8192-token vocabulary chunk for all features, no scan: a lower bound of that path), on random
/// matrices; wall and process CPU time (all threads), the latter steadier on a shared machine. Defaults: 1024 features, Qwen3's 151,936-token vocabulary, d = 1024.
enum LogitEffectsBench {
    static func run(_ args: [String]) throws {
        let m = args.count > 0 ? Int(args[0])! : 1024
        let vocabulary = args.count > 1 ? Int(args[1])! : 151_936
        let d = args.count > 2 ? Int(args[2])! : 1024
        var random = SplitMix64(seed: 3)
        func matrix(_ rows: Int) -> [Float] { (0..<(rows * d)).map { _ in Float(random.next() % 2001) / 1000 - 1 } }
        let decoder = FloatTensor(shape: [m, d], values: matrix(m))
        let unembedding = FloatTensor(shape: [vocabulary, d], values: matrix(vocabulary))

        var clock = ContinuousClock.now, cpu = clock_t(0)
        cpu = Foundation.clock()
        let chunk = 8192
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: m * chunk)
        defer { logits.deallocate() }
        var checksum: Float = 0
        decoder.values.withUnsafeBufferPointer { a in
            unembedding.values.withUnsafeBufferPointer { b in
                for start in stride(from: 0, to: vocabulary, by: chunk) {
                    let width = min(chunk, vocabulary - start)
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(d), 1,
                        a.baseAddress!, Int32(d), b.baseAddress! + start * d, Int32(d), 0, logits, Int32(width))
                    checksum += logits[0]
                }
            }
        }
        let old = seconds(since: clock), oldCPU = Double(Foundation.clock() - cpu) / Double(CLOCKS_PER_SEC)
        clock = .now
        cpu = Foundation.clock()
        let effects = try LogitEffects(decoder: decoder, unembedding: unembedding)
        let new = seconds(since: clock), newCPU = Double(Foundation.clock() - cpu) / Double(CLOCKS_PER_SEC)
        print(
            "logit effects, \(m) features × vocab \(vocabulary) × d \(d): products alone in vocabulary chunks "
                + "\(String(format: "%.2f", old)) s; top/bottom 10 + 50-bin histograms \(String(format: "%.2f", new)) s "
                + "(\(String(format: "%.2f", new / old))×); CPU time \(String(format: "%.2f", oldCPU)) s vs "
                + "\(String(format: "%.2f", newCPU)) s (\(String(format: "%.2f", newCPU / oldCPU))×); histogram 0 sums to \(effects.histograms[0].counts.reduce(0, +)) "
                + "(checksum \(checksum))")
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
