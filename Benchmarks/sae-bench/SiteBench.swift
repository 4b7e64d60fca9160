import Foundation
import SiteGen

/// `sae-bench site ANALYSIS_DIR [OUT_DIR]`: builds the site of an analysis directory (best of 2) and prints
/// feature pages/s, the whole build's seconds, the mean and largest feature-page size, and peak RSS.
enum SiteBench {
    static func run(_ arguments: [String]) throws {
        guard let analysis = arguments.first else {
            FileHandle.standardError.write(Data("usage: sae-bench site ANALYSIS_DIR [OUT_DIR]\n".utf8))
            exit(2)
        }
        let output = URL(
            fileURLWithPath: arguments.count > 1
                ? arguments[1]
                : NSTemporaryDirectory() + "sae-bench-site-\(getpid())")
        var best: SiteBuilder.Report?
        for _ in 0..<2 {
            let report = try SiteBuilder(analysis: URL(fileURLWithPath: analysis), output: output).build()
            if best == nil || report.seconds < best!.seconds { best = report }
        }
        let report = best!
        let features = output.appendingPathComponent("features")
        let sizes = try FileManager.default.contentsOfDirectory(atPath: features.path).compactMap { name in
            (try? FileManager.default.attributesOfItem(atPath: features.appendingPathComponent(name).path))?[.size] as? Int
        }
        let usage = ProcessUsage.current()
        print(
            """
            site: \(report.featurePages) feature pages (\(report.recordedFeatures) with examples), \
            \(report.clusterPages) cluster pages
            feature pages/s: \(Int(report.featurePagesPerSecond))
            whole build: \(String(format: "%.2f", report.seconds)) s
            feature page bytes: mean \(sizes.reduce(0, +) / max(1, sizes.count)), max \(sizes.max() ?? 0)
            peak RSS: \(usage.ru_maxrss / 1024) MiB
            """)
        if arguments.count < 2 { try? FileManager.default.removeItem(at: output) }
    }
}
