import Analyze
import Formats
import Foundation
import LMRuntime
import Tokenizers

/// `sae-bench ablation MODEL_DIR CORPUS.json [tokens=4096] [repeats=2] [STAGES]`: the model-side stages of
/// `analyze` on the first packed batch of the corpus (what the default job's ablation sample is: one batch of
/// ≤ `tokens` tokens), each the best of `repeats`:
/// - forward to blocks.9.hook_resid_post;
/// - the suffix for the clean and a spliced variant, stacked in one `continueForward` call;
/// - the LM head fused with log-softmax, CE and KL (`nextTokenStatistics`), spot-checked against Double
///   log-softmax of explicit logits;
/// - logit effects of a random 4096 × d decoder through the unembedding.
/// STAGES (comma-separated, default all): forward, suffix, head (needs suffix's outputs, so it runs the suffix too),
/// effects.
enum AblationBench {
    static func run(_ arguments: [String]) throws {
        guard arguments.count >= 2 else { throw InputError("usage: sae-bench ablation MODEL_DIR CORPUS.json [tokens=4096] [repeats=2] [STAGES]") }
        let directory = URL(fileURLWithPath: arguments[0])
        let maxTokens = arguments.count > 2 ? Int(arguments[2])! : 4096
        let repeats = arguments.count > 3 ? Int(arguments[3])! : 2
        let stages = Set((arguments.count > 4 ? arguments[4] : "forward,suffix,head,effects").split(separator: ",").map(String.init))

        var clock = ContinuousClock.now
        let model = try DecoderModel(modelDirectory: directory)
        let tokenizer = try Tokenizer(modelDirectory: directory)
        let texts = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: arguments[1])))
        let batch = PackedBatch.pack(texts.map(tokenizer.encode), context: 1024, maxTokens: maxTokens)[0]
        let n = batch.tokenCount, d = model.spec.hiddenSize, vocabulary = model.spec.vocabSize
        print(
            "load \(String(format: "%.1f", seconds(since: clock))) s; batch \(n) tokens in \(batch.sequences.count) sequences; "
                + "BLAS \(BLAS.coreName ?? "?") × \(BLAS.threadCount) threads")
        if let note = BLAS.pinnedKernelsNote { print("note: \(note)") }
        let hook = Hook(layer: 9, point: .residPost)

        var capture = try model.forward(batch, stopAt: hook)
        if stages.contains("forward") {
            var best = Double.infinity
            for _ in 0..<repeats {
                clock = .now
                capture = try model.forward(batch, stopAt: hook)
                best = min(best, seconds(since: clock))
            }
            print("forward to \(hook): \(String(format: "%.3f", best)) s = \(String(format: "%.0f", Double(n) / best)) tokens/s")
        }
        // A stand-in for the SAE reconstruction: the activation with 10% relative noise.
        var random = SplitMix64(seed: 7)
        let spliced = capture.activations.values.map { $0 * (1 + 0.1 * (Float(random.next() % 2001) / 1000 - 1)) }
        var splicedCapture = capture
        splicedCapture.activations = Activations(rows: n, width: d, values: spliced)

        func best(_ stage: String, _ body: () throws -> Void) rethrows {
            var best = Double.infinity
            for _ in 0..<repeats {
                clock = .now
                try body()
                best = min(best, seconds(since: clock))
            }
            print("\(stage): \(String(format: "%.3f", best)) s")
        }

        var stacked = Activations(rows: 0, width: d, values: [])
        if stages.contains("suffix") || stages.contains("head") {
            try best("suffix, clean and spliced stacked (\(n) rows each)") {
                stacked = try model.continueForward(from: capture, replacements: [nil, splicedCapture.activations], batch: batch)
            }
        }

        if stages.contains("head") {
            var statistics: NextTokenStatistics?
            try best("LM head fused with CE/KL, 2 runs") {
                statistics = try model.nextTokenStatistics(batch: batch, stackedHidden: stacked, runs: 2)
            }
            let clean = Activations(rows: n, width: d, values: Array(stacked.values[0..<(n * d)]))
            let splicedHidden = Activations(rows: n, width: d, values: Array(stacked.values[(n * d)...]))
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: vocabulary)
            defer { buffer.deallocate() }
            // Spot check against Double log-softmax of the explicit logits of a few rows.
            let s = statistics!
            var worst = (loss: 0.0, kl: 0.0, uniform: 0.0)
            for row in stride(from: 0, to: n, by: max(1, n / 16)) {
                model.logits(clean, rows: row..<(row + 1), into: buffer)
                let z = Array(buffer[0..<vocabulary]).map(Double.init)
                model.logits(splicedHidden, rows: row..<(row + 1), into: buffer)
                let w = Array(buffer[0..<vocabulary]).map(Double.init)
                func logSumExp(_ x: [Double]) -> Double { let m = x.max()!; return m + log(x.reduce(0) { $0 + exp($1 - m) }) }
                let lz = logSumExp(z), lw = logSumExp(w)
                let kl = zip(z, w).reduce(0.0) { $0 + exp($1.0 - lz) * (($1.0 - lz) - ($1.1 - lw)) }
                let uniform = z.reduce(0.0) { $0 + exp($1 - lz) * ($1 - lz + log(Double(vocabulary))) }
                if s.targets[row] >= 0 {
                    worst.loss = max(worst.loss, abs(s.loss[1][row] - (lw - w[Int(s.targets[row])])))
                }
                worst.kl = max(worst.kl, abs(s.klDivergence[0][row] - kl) / max(kl, 1e-12))
                worst.uniform = max(worst.uniform, abs(s.klToUniform[row] - uniform) / uniform)
            }
            print(
                "  fused vs Double log-softmax of the logits (17 rows): max |Δ CE| \(String(format: "%.1e", worst.loss)), "
                    + "max relative Δ KL \(String(format: "%.1e", worst.kl)), max relative Δ KL to uniform \(String(format: "%.1e", worst.uniform))")
        }

        if stages.contains("effects") {
            let m = 4096
            var random = SplitMix64(seed: 11)
            let decoder = FloatTensor(shape: [m, d], values: (0..<(m * d)).map { _ in Float(random.next() % 2001) / 1000 - 1 })
            // The head as the pipeline passes it (`Unembedding`: the model's matrix in place, bf16 stays bf16).
            let unembedding = Unembedding(weights: model.weights)!.matrix
            let gamma = (0..<d).map { _ in 0.5 + Float(random.next() % 1001) / 1000 }
            var best = Double.infinity
            var effects: LogitEffects?
            for _ in 0..<repeats {
                clock = .now
                effects = try LogitEffects(decoder: decoder, unembedding: unembedding, finalNormWeight: gamma)
                best = min(best, seconds(since: clock))
            }
            print(
                "logit effects (\(m) features × vocab \(vocabulary)): \(String(format: "%.3f", best)) s; "
                    + "feature 0 top token \(effects!.promoted[0].tokenID)")
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
