import Analyze
import COpenBLAS
import Formats
import Foundation
import LMRuntime

/// `sae-bench forward MODEL_DIR [batch=8] [seqlen=256] [stop_layer=9]`: tokens/s of the forward pass to
/// `blocks.{stop_layer}.hook_resid_post` on `batch` random sequences of `seqlen` tokens (best of 3, after a warm-up,
/// like bench_torch_forward.py), the machine's sgemm GFLOP/s on the MLP's shape, the FLOP-weighted fraction of it
/// that the forward reaches, and peak RSS.
enum ForwardBench {
    static func run(_ arguments: [String]) throws {
        guard let directory = arguments.first else {
            throw InputError("usage: sae-bench forward MODEL_DIR [batch=8] [seqlen=256] [stop_layer=9]")
        }
        let batchSize = arguments.count > 1 ? Int(arguments[1])! : 8
        let length = arguments.count > 2 ? Int(arguments[2])! : 256
        let stopLayer = arguments.count > 3 ? Int(arguments[3])! : 9

        var clock = ContinuousClock.now
        let model = try DecoderModel(modelDirectory: URL(fileURLWithPath: directory))
        let loadSeconds = seconds(since: clock)
        let config = model.spec
        let hook = Hook(layer: stopLayer, point: .residPost)

        var generator = SplitMix64(seed: 0)
        let sequences = (0..<batchSize).map { _ in (0..<length).map { _ in Int32(generator.next() % UInt64(config.vocabSize)) } }
        let batch = PackedBatch(sequences)
        _ = try model.forward(PackedBatch([Array(sequences[0].prefix(32))]), stopAt: hook)

        var best = Double.infinity
        let cpuBefore = ProcessUsage.cpuSeconds()
        for _ in 0..<3 {
            clock = .now
            _ = try model.forward(batch, stopAt: hook)
            best = min(best, seconds(since: clock))
        }
        // The process's CPU time per pass: what the pass costs, which other processes on the machine do not inflate.
        let cpuPerPass = (ProcessUsage.cpuSeconds() - cpuBefore) / 3
        let flops = forwardFLOPs(config, batch: batch, layers: stopLayer + 1)
        let sgemm = sgemmGFLOPs(m: batch.tokenCount, n: 2 * config.intermediateSize, k: config.hiddenSize)
        let achieved = flops / best / 1e9

        let usage = ProcessUsage.current()
        print(
            """
            ours (Swift, \(FP32Kernel.current.rawValue) (\(FP32Kernel.current == .onednn ? oneDNNImplementation(bf16: false) : "OpenBLAS \(BLAS.coreName ?? "?")")), \(BLAS.threadCount) threads) B=\(batchSize) T=\(length) \
            stop=\(hook): \(Int((Double(batch.tokenCount) / best).rounded())) tokens/s \
            (best of 3: \(String(format: "%.3f", best)) s; load \(String(format: "%.1f", loadSeconds)) s; \
            user + sys \(String(format: "%.3f", cpuPerPass)) s per pass = \(Int((Double(batch.tokenCount) / cpuPerPass).rounded())) tokens per CPU-second)
            sgemm \(batch.tokenCount)x\(2 * config.intermediateSize)x\(config.hiddenSize): \(String(format: "%.1f", sgemm)) GFLOP/s; \
            forward: \(String(format: "%.1f", flops / 1e9)) GFLOP at \(String(format: "%.1f", achieved)) GFLOP/s = \
            \(String(format: "%.0f", 100 * achieved / sgemm))% of sgemm
            peak RSS: \(String(format: "%.2f", Double(usage.ru_maxrss) / 1_048_576)) GiB
            """)
    }

    /// Multiply-adds ×2 of every matrix product the pass runs: projections over all tokens, plus attention's
    /// causal blocks (scores and weighted values).
    static func forwardFLOPs(_ config: DecoderSpec, batch: PackedBatch, layers: Int) -> Double {
        let n = Double(batch.tokenCount), d = Double(config.hiddenSize)
        let projections =
            n * d * Double(config.queryWidth + 2 * config.keyValueWidth)  // q, k, v
            + n * Double(config.queryWidth) * d  // o
            + Double(config.gatedMLP ? 3 : 2) * n * d * Double(config.intermediateSize)  // (gate,) up, down
        var attention = 0.0
        for sequence in batch.sequences {
            for start in stride(from: 0, to: sequence.count, by: 64) {
                let end = min(start + 64, sequence.count)
                attention += 2 * Double((end - start) * end * config.headDim * config.headCount)
            }
        }
        return 2 * Double(layers) * (projections + attention)
    }

    /// Best-of-5 GFLOP/s of one `[m, k] · [n, k]ᵀ` sgemm, the forward's most common form.
    static func sgemmGFLOPs(m: Int, n: Int, k: Int) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: n * k)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<5 {
            let clock = ContinuousClock.now
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(k), 0, &c, Int32(n))
            best = min(best, seconds(since: clock))
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
