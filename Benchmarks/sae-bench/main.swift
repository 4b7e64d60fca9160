import Foundation

// `swift run -c release sae-bench NAME [ARGS...]`: timing harnesses for the committed benchmark scripts in
// scripts/bench-*.sh, which run the Python baselines side by side in the same command.
let benchmarks: [String: ([String]) throws -> Void] = [
    "forward": ForwardBench.run,
    "tokenizer": TokenizerBench.run,
    "site": SiteBench.run,
    "sae": SAEBench.run,
    "formats": FormatsBench.run,
    "features": FeaturesBench.run,
    "ablation": AblationBench.run,
    "logit-effects": LogitEffectsBench.run,
    "histogram": HistogramBench.run,
    "map": MapBench.run,
]

let args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, let bench = benchmarks[name] else {
    FileHandle.standardError.write(Data("usage: sae-bench {\(benchmarks.keys.sorted().joined(separator: "|"))} ARGS...\n".utf8))
    exit(2)
}
try bench(Array(args.dropFirst()))
