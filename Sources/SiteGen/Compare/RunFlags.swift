import Foundation
import Formats

/// What differs between the runs in ways that make their numbers not directly comparable (corpus, model, hook,
/// input width, token variant), as one warning line each, and notes worth knowing (runs of the same SAE).
enum RunFlags {
    static func warnings(_ runs: [ComparedRun]) -> [String] {
        var lines: [String] = []
        if let line = differing(
            runs, what: "corpus", consequence: "metrics and feature statistics come from different text",
            identity: corpusPath, strong: corpusHash)
        {
            lines.append(line)
        }
        if let line = differing(
            runs, what: "model", consequence: "the activations the SAEs saw are not the same",
            identity: modelName, strong: modelHashes)
        {
            lines.append(line)
        }
        if let line = differing(
            runs, what: "hook", consequence: "the SAEs read different activations",
            identity: { hook($0).map { ($0, $0) } })
        {
            lines.append(line)
        }
        if let line = differing(
            runs, what: "input width (d_in)", consequence: "their features cannot be matched",
            identity: { run in run.config?.member("d_in")?.integer.map { (String($0), String($0)) } })
        {
            lines.append(line)
        }
        if let line = differing(
            runs, what: "token variant of the headline numbers",
            consequence: "one excludes the first token of each text, the other does not",
            identity: { $0.run.variant.map { ($0, $0) } })
        {
            lines.append(line)
        }
        return lines
    }

    /// Informational notes: runs that analysed byte-identical SAE weights.
    static func notes(_ runs: [ComparedRun]) -> [String] {
        var groups: [String: [String]] = [:]
        for run in runs where !run.saeHashes.isEmpty {
            let key = run.saeHashes.keys.sorted().map { "\($0)=\(run.saeHashes[$0]!)" }.joined(separator: ",")
            groups[key, default: []].append(run.label)
        }
        return groups.values.filter { $0.count > 1 }.map { $0.sorted() }.sorted { $0[0] < $1[0] }.map { labels in
            "Runs \(labels.joined(separator: ", ")) analysed the same SAE (identical weight files): every feature matches itself."
        }
    }

    /// One line when two runs differ: "Different corpus: A: x; B: y — consequence.". Two runs are compared by
    /// `strong` (a file hash) when both have one, else by `identity`'s key (a path or a name); `identity` also gives
    /// the text shown for each run.
    private static func differing(
        _ runs: [ComparedRun], what: String, consequence: String,
        identity: (ComparedRun) -> (key: String, display: String)?,
        strong: (ComparedRun) -> String? = { _ in nil }
    ) -> String? {
        func differ(_ x: ComparedRun, _ y: ComparedRun) -> Bool {
            if let a = strong(x), let b = strong(y) { return a != b }
            guard let a = identity(x)?.key, let b = identity(y)?.key else { return false }
            return a != b
        }
        let differs = runs.indices.contains { i in runs.indices.contains { j in j > i && differ(runs[i], runs[j]) } }
        guard differs else { return nil }
        let values = runs.compactMap { run in identity(run).map { "\(run.label): \($0.display)" } }.joined(separator: "; ")
        let unknown = runs.filter { identity($0) == nil }.map(\.label)
        let tail = unknown.isEmpty ? "" : " (not recorded for \(unknown.joined(separator: ", ")))"
        return "Different \(what): \(values)\(tail) — \(consequence)."
    }

    private static func corpusPath(_ run: ComparedRun) -> (String, String)? {
        guard let path = run.config?.member("data_path")?.text else { return nil }
        return (path, corpusHash(run).map { "\(path) (sha256 \($0.prefix(12))…)" } ?? path)
    }

    private static func corpusHash(_ run: ComparedRun) -> String? {
        run.config?.member("hashes")?.member("corpus")?.text
    }

    /// The model name, shown with a digest of its files' hashes when the run recorded them (two different models
    /// can share a directory name).
    private static func modelName(_ run: ComparedRun) -> (String, String)? {
        guard let name = run.config?.member("model_name")?.text ?? run.directory.summary.member("model")?.text else { return nil }
        return (name, modelHashes(run).map { "\(name) (files \(FileHash.sha256(of: Data($0.utf8)).prefix(12))…)" } ?? name)
    }

    /// The model files' hashes (two copies of one model under different names are the same model).
    private static func modelHashes(_ run: ComparedRun) -> String? {
        guard let hashes = run.config?.member("hashes")?.member("model")?.fields, !hashes.isEmpty else { return nil }
        return hashes.keys.sorted().map { "\($0)=\(hashes[$0]!.displayText)" }.joined(separator: ",")
    }

    /// The full hook name: ours records it; the seed records `layer` and `hook_name`.
    static func hook(_ run: ComparedRun) -> String? {
        if let hook = run.config?.member("hook")?.text { return hook }
        let summary = run.directory.summary
        guard let name = run.config?.member("hook_name")?.text ?? summary.member("hook_name")?.text else { return nil }
        if name.hasPrefix("blocks.") { return name }
        guard let layer = run.config?.member("layer")?.integer ?? summary.member("layer")?.integer else { return name }
        return "blocks.\(layer).\(name)"
    }
}
