import Analyze
import Foundation
import LMRuntime
import SAECore

/// `sae-bench sae [tokens=4096] [d_in=1024] [d_sae=4096] [k=128]`: tokens/s of SAE encoding in each top-k mode
/// (random BatchTopK SAE and activations), of decoding through the sparse and the dense path at several L0, and of
/// the sparsity + reconstruction accumulators. Best of 3 after a warm-up. Prints one `NAME: N tokens/s` line each.
enum SAEBench {
    static func run(_ arguments: [String]) throws {
        let n = arguments.count > 0 ? Int(arguments[0])! : 4096
        let d = arguments.count > 1 ? Int(arguments[1])! : 1024
        let m = arguments.count > 2 ? Int(arguments[2])! : 4096
        let k = arguments.count > 3 ? Int(arguments[3])! : 128
        BLAS.configure()

        var random = Lehmer(seed: 42)
        let config = SAEConfig(
            format: .seed, architecture: .batchTopK, dIn: d, dSae: m, hookName: "blocks.9.hook_resid_post",
            layer: 9, k: k, usesEncoderBias: false)
        var decoder = (0..<(m * d)).map { _ in random.normal() }
        for i in 0..<m {
            let norm = (0..<d).reduce(Float(0)) { $0 + decoder[i * d + $1] * decoder[i * d + $1] }.squareRoot()
            for j in 0..<d { decoder[i * d + j] /= norm }
        }
        var encoder = [Float](repeating: 0, count: d * m)
        for i in 0..<m { for j in 0..<d { encoder[j * m + i] = decoder[i * d + j] + 0.1 * random.normal() } }
        let sae = try SparseAutoencoder(
            config: config, encoderWeight: encoder, encoderBias: nil, decoderWeight: decoder,
            decoderBias: (0..<d).map { _ in 0.1 * random.normal() })
        let x = (0..<(n * d)).map { _ in random.normal() }

        var calibrator = try ThresholdCalibrator(sae: sae)
        let sampleRows = min(n, 1024)
        calibrator.add(Array(x[0..<(sampleRows * d)]), rows: sampleRows)
        let threshold = calibrator.threshold()
        print("SAE d_in \(d), d_sae \(m), k \(k), \(n) tokens, \(BLAS.threadCount) BLAS threads; threshold \(threshold)")

        let pool = 1024  // about the seed's pool (16 texts × 63.6 tokens)
        var codes = SparseCodes(dSae: m)
        for (mode, name) in [(TopKMode.threshold, "encode threshold"), (.token, "encode token"), (.batch, "encode batch (pools of \(pool))")] {
            let encoder = try SAEEncoder(sae: sae, topKMode: mode, threshold: threshold)
            let time = best {
                if mode == .batch {
                    var all = SparseCodes(dSae: m)
                    for start in stride(from: 0, to: n, by: pool) {
                        let rows = min(pool, n - start)
                        all.append(contentsOf: encoder.encode(Array(x[(start * d)..<((start + rows) * d)]), rows: rows))
                    }
                    codes = all
                } else {
                    codes = encoder.encode(x, rows: n)
                }
            }
            report(name, n, time, extra: String(format: "mean L0 %.1f", Double(codes.nonzeroCount) / Double(n)))
        }

        // The same SAE with a per-token input normalisation (SAELens layer_norm, OpenAI TopK): the cost over "encode
        // token" and "decode sparse (L0 k)" is the normalisation itself.
        var layerNormed = sae
        layerNormed.config.normalization = .layerNorm
        let layerNormEncoder = try SAEEncoder(sae: layerNormed, topKMode: .token)
        var layerNormCodes = SparseCodes(dSae: m)
        report("encode token, layer_norm input", n, best { layerNormCodes = layerNormEncoder.encode(x, rows: n) })
        report("decode sparse, layer_norm output (L0 \(k))", n, best { _ = layerNormed.decode(layerNormCodes, denormalizing: x, path: .sparse) })

        for l0 in [k / 4, k, 2 * k, 4 * k] where l0 >= 1 && l0 <= m {
            let tokenCodes = try SAEEncoder(
                sae: SparseAutoencoder(
                    config: {
                        var c = config; c.k = l0; return c
                    }(),
                    encoderWeight: encoder, encoderBias: nil, decoderWeight: decoder,
                    decoderBias: sae.decoderBias), topKMode: .token
            ).encode(x, rows: n)
            let density = tokenCodes.density
            report("decode sparse (L0 \(l0), density \(String(format: "%.4f", density)))", n, best { _ = sae.decode(tokenCodes, path: .sparse) })
            report("decode dense  (L0 \(l0), density \(String(format: "%.4f", density)))", n, best { _ = sae.decode(tokenCodes, path: .dense) })
        }

        let reconstruction = sae.decode(codes)
        let isFirst = (0..<n).map { $0 % 64 == 0 }
        report(
            "sparsity + reconstruction accumulators", n,
            best {
                var sparsity = SparsityAccumulator(dSae: m)
                var recon = ReconstructionAccumulator(dimension: d)
                sparsity.add(codes, isFirst: isFirst)
                recon.add(original: x, reconstruction: reconstruction, isFirst: isFirst)
                _ = (sparsity.result, recon.result)
            })
    }

    static func best(_ body: () throws -> Void) rethrows -> Double {
        try body()
        var best = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return best
    }

    static func report(_ name: String, _ tokens: Int, _ seconds: Double, extra: String = "") {
        print("\(name): \(Int((Double(tokens) / seconds).rounded())) tokens/s (\(String(format: "%.4f", seconds)) s\(extra.isEmpty ? "" : "; " + extra))")
    }
}

/// A small deterministic generator (64-bit LCG) with Box–Muller normals.
struct Lehmer {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func uniform() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Float(state >> 40) + 0.5) / Float(1 << 24)
    }
    mutating func normal() -> Float {
        (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform())
    }
}
