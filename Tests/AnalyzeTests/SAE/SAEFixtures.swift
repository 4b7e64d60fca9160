@testable import Formats
import Foundation
@testable import SAECore
import Testing
import TestSupport

/// The committed fixtures of `scripts/fixtures/make_sae_fixtures.py`.
enum SAEFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/sae")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func sae(_ name: String) throws -> SparseAutoencoder { try SparseAutoencoder(directory: url(name)) }

    /// X, float32 [300, 64].
    static func activations() throws -> (values: [Float], rows: Int) {
        let array = try NPY.read(url("activations.npy"))
        return (try array.floatValues(), array.shape[0])
    }

    /// Per-row first-token flags and the pools (row ranges) of 4 texts each.
    static func tokens() throws -> (isFirst: [Bool], pools: [Range<Int>]) {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url("tokens.json"))) as! [String: Any]
        let pools = (object["pools"] as! [[Int]]).map { $0[0]..<$0[1] }
        return (object["is_first"] as! [Bool], pools)
    }

    /// golden.json as nested dictionaries.
    static func golden() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url("golden.json"))) as! [String: Any]
    }
}

/// Expects every element of `actual` to be close to `expected`, reporting the first mismatch.
func expectClose(
    _ actual: [Double], _ expected: [Double], relative: Double = 1e-4, absolute: Double = 1e-5,
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    if let index = actual.indices.first(where: { $0 < expected.count && !isClose(actual[$0], expected[$0], relative: relative, absolute: absolute) }) {
        Issue.record("\(what)[\(index)] = \(actual[index]), expected \(expected[index])", sourceLocation: sourceLocation)
    }
}

/// Row slices of a row-major matrix.
func rows(_ values: [Float], _ range: Range<Int>, width: Int) -> [Float] {
    Array(values[(range.lowerBound * width)..<(range.upperBound * width)])
}

/// One golden case of golden.json: an SAE directory and, for top-k SAEs, the top-k mode ("dir/mode").
struct EncodedCase {
    let name: String
    let sae: SparseAutoencoder
    let mode: TopKMode?
    let threshold: Float?
    /// Codes of all 300 rows (batch mode: each pool encoded on its own, as the seed does).
    let codes: SparseCodes
    let reconstruction: [Float]

    init(_ name: String) throws {
        self.name = name
        let parts = name.split(separator: "/").map(String.init)
        sae = try SAEFixtures.sae(parts[0])
        mode = parts.count > 1 ? TopKMode(rawValue: parts[1]) : nil
        let (x, n) = try SAEFixtures.activations()
        var threshold: Float?
        if mode == .threshold {
            var calibrator = try ThresholdCalibrator(sae: sae)
            calibrator.add(x, rows: n)
            threshold = calibrator.threshold()
        }
        self.threshold = threshold
        let encoder = try SAEEncoder(sae: sae, topKMode: mode, threshold: threshold)
        if mode == .batch {
            var codes = SparseCodes(dSae: sae.dSae)
            for pool in try SAEFixtures.tokens().pools {
                codes.append(contentsOf: encoder.encode(rows(x, pool, width: sae.dIn), rows: pool.count))
            }
            self.codes = codes
        } else {
            codes = encoder.encode(x, rows: n)
        }
        reconstruction = sae.decode(codes)
    }

    static let names = [
        "seed-sae-relu-l2", "seed-sae-btopk8-l2/threshold", "seed-sae-btopk8-l2/token",
        "seed-sae-btopk8-l2/batch", "saelens-standard-legacy", "saelens-topk-v6/token",
        "saelens-topk-v6/threshold", "saelens-jumprelu-f16", "saelens-scaled",
    ]
}
