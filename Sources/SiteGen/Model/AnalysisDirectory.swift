import Formats
import Foundation

/// An analysis directory (ours or the seed's), with its files located through `SUMMARY_<ts>.json`'s `files{}`.
public struct AnalysisDirectory: Sendable {
    public let url: URL
    /// The SUMMARY file this directory is read through.
    public let summaryURL: URL
    /// The parsed SUMMARY document.
    public let summary: JSONValue
    /// The run timestamp (`<ts>` of the SUMMARY file name, or its `timestamp` key).
    public let timestamp: String

    /// Finds the newest `SUMMARY_<ts>.json` in `url`; throws `InputError` when there is none or it is malformed.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InputError("not a directory", url: url)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        guard let name = names.filter({ $0.hasPrefix("SUMMARY_") && $0.hasSuffix(".json") }).max() else {
            throw InputError("no SUMMARY_<timestamp>.json in this directory; is it an analysis directory?", url: url)
        }
        summaryURL = url.appendingPathComponent(name)
        summary = try JSONFile.decode(JSONValue.self, from: summaryURL)
        guard summary.fields != nil else { throw InputError("malformed SUMMARY: expected a JSON object", url: summaryURL) }
        timestamp =
            summary.member("timestamp")?.text
            ?? String(name.dropFirst("SUMMARY_".count).dropLast(".json".count))
    }

    /// The file listed under `key` in SUMMARY's `files{}` (or at `fallback`, for files the seed did not list),
    /// if it exists.
    public func file(_ key: String, fallback: String? = nil) -> URL? {
        var candidates: [String] = []
        if let listed = summary.member("files")?.member(key)?.text { candidates.append(listed) }
        if let fallback { candidates.append(fallback) }
        for path in candidates {
            let candidate = path.hasPrefix("/") ? URL(fileURLWithPath: path) : url.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    public var configURL: URL? { file("config", fallback: "config_\(timestamp).json") }
    public var readmeURL: URL? { file("readme", fallback: "README_\(timestamp).md") }
    public var resultsURL: URL? { file("results", fallback: "results/analysis_results_\(timestamp).json") }
    public var summariesURL: URL? { file("feature_summaries", fallback: "results/feature_summaries_\(timestamp).jsonl") }
    public var featureTableURL: URL? { file("feature_table", fallback: "results/feature_table_\(timestamp).json") }
    public var clustersURL: URL? { file("clusters", fallback: "results/clusters_\(timestamp).json") }
    public var textsURL: URL? { file("texts", fallback: "results/texts_\(timestamp).json") }
    public var labelsURL: URL? { file("feature_labels", fallback: "results/feature_labels_llm.jsonl") }
    public var neighborsURL: URL? { file("neighbors", fallback: "matrices/neighbors_\(timestamp).npz") }
    public var featureMapURL: URL? { file("feature_map", fallback: "matrices/feature_map_\(timestamp).npy") }
    public var similarityURL: URL? { file("similarity_matrix") }
    public var cooccurrenceURL: URL? { file("cooccurrence_matrix") }
    public var trainingPlotURL: URL? { file("training_history_plot", fallback: "plots/training_history.png") }
}
