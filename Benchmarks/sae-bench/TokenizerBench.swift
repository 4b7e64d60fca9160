import Formats
import Foundation
import Tokenizers

/// `sae-bench tokenizer TOKENIZER_JSON CORPUS_JSON [repeats=3]`: single-thread encode throughput over a JSON list of
/// strings: the first pass (cold word cache) and the best of `repeats` passes, in MB of UTF-8 and tokens per second.
enum TokenizerBench {
    static func run(_ arguments: [String]) throws {
        guard arguments.count >= 2 else {
            throw InputError("usage: sae-bench tokenizer TOKENIZER_JSON CORPUS_JSON [repeats=3]")
        }
        let repeats = arguments.count > 2 ? Int(arguments[2])! : 3
        var start = ContinuousClock.now
        let tokenizer = try Tokenizer(contentsOf: URL(fileURLWithPath: arguments[0]))
        let loadSeconds = elapsed(since: start)
        let corpus = URL(fileURLWithPath: arguments[1])
        guard let texts = try JSONSerialization.jsonObject(with: Data(contentsOf: corpus)) as? [String] else {
            throw InputError("not a JSON list of strings", url: corpus)
        }
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }

        var passes: [Double] = []
        var tokens = 0
        for _ in 0..<max(1, repeats) {
            start = ContinuousClock.now
            tokens = 0
            for text in texts { tokens += tokenizer.encode(text).count }
            passes.append(elapsed(since: start))
        }
        let best = passes.min()!
        func rate(_ seconds: Double) -> String {
            String(format: "%.2f MB/s %.3f Mtok/s", Double(bytes) / seconds / 1e6, Double(tokens) / seconds / 1e6)
        }
        print("swift load \(String(format: "%.2f", loadSeconds)) s, \(texts.count) texts, \(bytes) bytes, \(tokens) tokens")
        print("swift first pass \(rate(passes[0]))")
        print("swift best \(rate(best)) seconds \(String(format: "%.4f", best))")
    }

    private static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let duration = ContinuousClock.now - start
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
